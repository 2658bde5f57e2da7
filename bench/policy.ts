/**
 * Policy engine benchmark: a generated bundle of 100 rules over 40 tools (exact names, globs,
 * conditions, agent selectors) and 1,000 varied inputs. Prints the compile time, then the median
 * and p99 latency of `decide` (each call timed on its own) and its throughput (a tight loop).
 * Last line: one JSON object.
 */
import { compileBundle, type DecisionInput, decide, loadBundleFromFiles } from '@warden/policy';
import { recordResult } from './machine.js';

const RULES = 100;
const INPUTS = 1_000;
const WARMUP_ROUNDS = 50;
const MEASURED_ROUNDS = 200;

// A seeded generator, so every run measures the same bundle and inputs.
let seed = 0x5eed;
function random(): number {
  seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
  return seed / 0x7fffffff;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

const SERVICES = ['crm', 'payments', 'email', 'github', 'deploy', 'db', 'iam', 'kb'];
const VERBS = ['read', 'list', 'update', 'delete', 'send'];
const TOOLS = SERVICES.flatMap((s) => VERBS.map((v) => `${s}.${v}`)); // 40 tools
const ROLES = ['support-assistant', 'deploy-agent', 'code-review-bot', 'analyst', 'orchestrator'];
const TIERS = ['sandbox', 'monitored', 'trusted'] as const;
const ENVIRONMENTS = ['sandbox', 'staging', 'production'];
const CONDITIONS = [
  'args.amount > 500',
  'args.amount <= 1000',
  'args.count > 100',
  'agent.environment == "production"',
  'agent.tier != "trusted" && args.count > 10',
  '"analyst" in agent.roles',
  'args.amount * 2 > 300 || args.count < 5',
  'has(args.dryRun) && args.dryRun == true',
];

function generateBundle(): string[] {
  const files: string[] = [];
  const perPolicy = 10;
  for (let p = 0; p < RULES / perPolicy; p++) {
    const rules: string[] = [];
    for (let r = 0; r < perPolicy; r++) {
      const roll = random();
      // Mostly exact names; service globs; some verb globs such as *.delete.
      const tools =
        roll < 0.6
          ? [pick(TOOLS), pick(TOOLS)]
          : roll < 0.85
            ? [`${pick(SERVICES)}.*`]
            : [`*.${pick(VERBS)}`];
      const effect = pick(['allow', 'allow', 'allow', 'review', 'deny'] as const);
      const when = random() < 0.6 ? `\n      when: '${pick(CONDITIONS)}'` : '';
      const approval =
        effect === 'review' ? '\n      approval: {approvers: [group:reviewers], timeout: 1h}' : '';
      rules.push(
        `    - id: rule-${p}-${r}\n      effect: ${effect}\n      tools: ${JSON.stringify(tools)}${when}${approval}`,
      );
    }
    const selector = p < 2 ? '' : `  agents:\n    roles: [${pick(ROLES)}]\n`;
    files.push(
      `apiVersion: warden/v1\nkind: Policy\nmetadata:\n  name: policy-${p}\n  owner: owner@example.com\nspec:\n${selector}  rules:\n${rules.join('\n')}\n`,
    );
  }
  return files;
}

function generateInputs(): DecisionInput[] {
  return Array.from({ length: INPUTS }, (_, i) => {
    const args: Record<string, number | boolean> = {
      amount: Math.round(random() * 200_000) / 100,
      count: Math.floor(random() * 300),
    };
    if (random() < 0.3) args.dryRun = random() < 0.5;
    return {
      agent: {
        id: `agt_${i % 50}`,
        roles: [pick(ROLES), ...(random() < 0.3 ? [pick(ROLES)] : [])],
        tier: pick(TIERS),
        environment: pick(ENVIRONMENTS),
      },
      tool: random() < 0.05 ? `unknown.tool${i}` : pick(TOOLS),
      args,
    };
  });
}

const files = generateBundle().map((text, i) => ({ path: `policy-${i}.yaml`, text }));
// Loading = YAML text -> validated documents -> compiled bundle. The first load in a process also
// pays for JIT warm-up of the YAML parser and the CEL environment, so it is reported on its own.
const coldStart = performance.now();
const loaded = loadBundleFromFiles(files);
const coldLoadMs = performance.now() - coldStart;
if (!loaded.ok)
  throw new Error(`generated bundle did not load: ${JSON.stringify(loaded.issues.slice(0, 3))}`);
const loadTimes: number[] = [];
const compileTimes: number[] = [];
for (let i = 0; i < 10; i++) {
  const start = performance.now();
  loadBundleFromFiles(files);
  loadTimes.push(performance.now() - start);
  // Compiling = type-checking every CEL condition and building the tool index from the documents.
  const compileStart = performance.now();
  compileBundle(loaded.bundle.version, loaded.bundle.policies, loaded.bundle.catalogs, loaded.bundle.engine);
  compileTimes.push(performance.now() - compileStart);
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const compileMs = median(compileTimes);
const loadMs = median(loadTimes);
const bundle = loaded.bundle;
const inputs = generateInputs();

const effects = { allow: 0, review: 0, deny: 0 };
let candidateRules = 0;
for (const input of inputs) {
  effects[decide(bundle, input).effect]++;
  for (const group of bundle.candidates(input.tool))
    if (group.selects(input.agent)) candidateRules += group.rules.length;
}

for (let round = 0; round < WARMUP_ROUNDS; round++) for (const input of inputs) decide(bundle, input);

// Latency: each call timed on its own with the nanosecond clock (a pair of reads costs ~0.15 µs
// here and is included in every sample).
const samples = new Float64Array(MEASURED_ROUNDS * INPUTS);
let n = 0;
for (let round = 0; round < MEASURED_ROUNDS; round++) {
  for (const input of inputs) {
    const start = process.hrtime.bigint();
    decide(bundle, input);
    samples[n++] = Number(process.hrtime.bigint() - start) / 1000;
  }
}
samples.sort();
const quantile = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0;

// Throughput: a tight loop, no per-call timer.
const loopStart = performance.now();
let calls = 0;
while (performance.now() - loopStart < 2_000) {
  for (const input of inputs) decide(bundle, input);
  calls += inputs.length;
}
const opsPerSecond = Math.round(calls / ((performance.now() - loopStart) / 1000));

const result = {
  bench: 'policy',
  rules: bundle.ruleCount,
  median_us: round(quantile(0.5)),
  p99_us: round(quantile(0.99)),
  ops_per_s: opsPerSecond,
  compile_ms: round(compileMs),
  load_ms: round(loadMs),
};
console.log(`tools: ${TOOLS.length}, inputs: ${INPUTS}, decisions timed: ${samples.length}`);
console.log(
  `load from YAML: ${round(loadMs)} ms (first load in the process: ${round(coldLoadMs)} ms); compile: ${round(compileMs)} ms`,
);
console.log(
  `effects over the inputs: ${JSON.stringify(effects)}; candidate rules per decision: ${round(candidateRules / INPUTS)}`,
);
recordResult('policy', [
  `bundle: ${bundle.ruleCount} rules over ${TOOLS.length} tools (60% with CEL conditions; exact names, service and verb globs, role selectors), ${INPUTS} inputs`,
  `compile (CEL type-check + tool index, median of 10): ${result.compile_ms} ms; load from YAML text including compile: ${round(loadMs)} ms warm, ${round(coldLoadMs)} ms for the first load in a process`,
  `decide: median ${result.median_us} µs, p99 ${result.p99_us} µs (each call timed alone), ${opsPerSecond.toLocaleString('en')} ops/s (tight loop)`,
  `candidate rules evaluated per decision: ${round(candidateRules / INPUTS)}; effects: ${JSON.stringify(effects)}`,
  `JSON: \`${JSON.stringify(result)}\``,
]);
console.log(JSON.stringify(result));

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
