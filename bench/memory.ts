/**
 * Memory of a node: `warden up` on SQLite with a 100-rule bundle (the example policies and
 * generated rules for a role no agent has, so every decision stays as the examples decide it) and
 * 1,000 agents. Idle RSS once the agents exist, then the peak RSS while 20,000 decides run at
 * concurrency 16 (the server process's VmRSS sampled every 20 ms, and its VmHWM).
 * Flags: --baseline REF (the same on a build of REF, alternating with this version), --rounds N
 * (default 1; with a baseline, rounds alternate A B / B A), --decides N (default 20000),
 * --agents N (default 1000), --quick (2,000 decides, 200 agents), --node-arg=FLAG (repeatable).
 * Last line: {"bench":"memory","idle_rss_mib":…,"peak_rss_mib":…, …}.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildBaseline, removeOnSignal } from './baseline.js';
import { createPersonaAgents, PERSONAS, runPersonaLoad } from './decide-workload.js';
import { ROOT, startBenchServer } from './http-load.js';
import { recordResult } from './machine.js';
import { rssMiB } from './proc-stats.js';

const RULES = 100;
const CONCURRENCY = 16;
const SAMPLE_MS = 20;

const { values } = parseArgs({
  options: {
    baseline: { type: 'string' },
    rounds: { type: 'string', default: '1' },
    decides: { type: 'string' },
    agents: { type: 'string' },
    quick: { type: 'boolean', default: false },
    // Node flags for the server, to try V8 settings: --node-arg=--max-semi-space-size=4
    'node-arg': { type: 'string', multiple: true, default: [] },
  },
});
const DECIDES = Number(values.decides ?? (values.quick ? 2_000 : 20_000));
const AGENTS = Number(values.agents ?? (values.quick ? 200 : 1_000));

interface Memory {
  readonly idle_rss_mib: number;
  readonly peak_rss_mib: number;
  readonly rps: number;
}

/** The example policies plus generated rules up to RULES. */
function policyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-policies-'));
  const examples = join(ROOT, 'examples/policies');
  let rules = 0;
  for (const file of readdirSync(examples).filter((f) => f.endsWith('.yaml') && !f.endsWith('.test.yaml'))) {
    const text = readFileSync(join(examples, file), 'utf8');
    rules += text.match(/^\s+- id: /gm)?.length ?? 0;
    writeFileSync(join(dir, file), text);
  }
  const tools = [...new Set(Object.values(PERSONAS).flatMap((calls) => calls.map((c) => c.tool)))];
  const conditions = ['args.amount > 100', 'has(args.pr) && args.pr < 5', 'agent.tier == "trusted"'];
  const generated = Array.from({ length: RULES - rules }, (_, i) => {
    const when = i % 3 === 2 ? '' : `\n      when: '${conditions[i % conditions.length]}'`;
    return `    - id: extra-${i}\n      effect: ${i % 4 === 0 ? 'deny' : 'allow'}\n      tools: ["${tools[i % tools.length]}"]${when}`;
  });
  writeFileSync(
    join(dir, 'extra-rules.yaml'),
    `apiVersion: warden/v1\nkind: Policy\nmetadata:\n  name: extra-rules\n  owner: owner@example.com\nspec:\n  agents:\n    roles: [analyst]\n  rules:\n${generated.join('\n')}\n`,
  );
  return dir;
}

async function measure(policies: string, root?: string): Promise<Memory> {
  const server = await startBenchServer(
    'sqlite',
    { WARDEN_POLICY_DIR: policies },
    { ...(root ? { root } : {}), nodeArgs: values['node-arg'] },
  );
  try {
    const agents = await createPersonaAgents(server.url, server.adminToken, AGENTS);
    // Let the start-up garbage go before calling the node idle.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const idle = rssMiB(server.pid).rss;
    let peak = idle;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMiB(server.pid).rss);
    }, SAMPLE_MS);
    const before = rssMiB(server.pid).hwm;
    const load = await runPersonaLoad(server.url, agents, CONCURRENCY, 0, 10 * 60_000, DECIDES);
    clearInterval(sampler);
    const hwm = rssMiB(server.pid).hwm;
    // The high-water mark counts only if the load raised it (agent creation may have set it).
    if (hwm > before) peak = Math.max(peak, hwm);
    if (load.errors > 0) throw new Error(`${load.errors} decides failed`);
    return { idle_rss_mib: round(idle), peak_rss_mib: round(peak), rps: load.rps };
  } finally {
    await server.stop();
  }
}

const round = (mib: number) => Math.round(mib * 10) / 10;

const policies = policyDir();
try {
  const runs: { side: string; memory: Memory }[] = [];
  const baseline = values.baseline ? buildBaseline(values.baseline) : undefined;
  if (baseline) removeOnSignal(baseline);
  try {
    for (let r = 0; r < Number(values.rounds); r++) {
      const sides: { side: string; root?: string }[] = baseline
        ? [{ side: 'current' }, { side: 'baseline', root: baseline.root }]
        : [{ side: 'current' }];
      if (r % 2 === 1) sides.reverse();
      for (const { side, root } of sides) {
        const memory = await measure(policies, root);
        runs.push({ side, memory });
        console.log(
          `${side.padEnd(8)} idle ${memory.idle_rss_mib} MiB, peak ${memory.peak_rss_mib} MiB under ${DECIDES} decides at c=${CONCURRENCY} (${memory.rps} decisions/s)`,
        );
      }
    }
  } finally {
    baseline?.remove();
  }
  const max = (side: string, key: 'idle_rss_mib' | 'peak_rss_mib') =>
    Math.max(...runs.filter((r) => r.side === side).map((r) => r.memory[key]));
  const summary = {
    bench: 'memory',
    rules: RULES,
    agents: AGENTS,
    decides: DECIDES,
    idle_rss_mib: max('current', 'idle_rss_mib'),
    peak_rss_mib: max('current', 'peak_rss_mib'),
    ...(baseline
      ? {
          baseline: baseline.commit.slice(0, 12),
          baseline_idle_rss_mib: max('baseline', 'idle_rss_mib'),
          baseline_peak_rss_mib: max('baseline', 'peak_rss_mib'),
        }
      : {}),
  };
  recordResult(
    `memory (SQLite node, ${RULES}-rule bundle, ${AGENTS} agents; ${DECIDES} decides at concurrency ${CONCURRENCY}; server RSS)`,
    [
      ...runs.map(
        ({ side, memory }) =>
          `${side}: idle ${memory.idle_rss_mib} MiB, peak ${memory.peak_rss_mib} MiB (${memory.rps} decisions/s)`,
      ),
      `JSON: \`${JSON.stringify(summary)}\``,
    ],
  );
  console.log(JSON.stringify(summary));
} finally {
  rmSync(policies, { recursive: true, force: true });
}
