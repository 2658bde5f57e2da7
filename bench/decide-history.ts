/**
 * What agent signals and task history cost the decide path: two `warden up` servers of this version
 * on SQLite (synchronous=FULL), side by side. "plain" loads the example policies without the rules
 * that read signals and the task (support-escalations.yaml, and support-read-crm's `label`);
 * "history" loads them as they are, so every call in a task reads the task's history and has its
 * verdict re-checked when recorded, and the support assistant's calls report `confidence`. The
 * persona workload (every call in one of 500 tasks per agent) runs at concurrency 64 in alternating
 * rounds (A B, B A, …), so drift of a shared machine hits both alike; the ratio is history / plain
 * (medians of the rounds). The server's CPU time per decision is measured too: on a machine shared
 * with other work it moves far less than throughput does. Both sides write the task history: what
 * that costs every bundle shows in `decide-http --baseline`.
 * Flags: --rounds N (default 4), --measure-ms N (default 6000), --quick (2 rounds of 2 s).
 * Last line: one JSON object.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type BenchAgent, createPersonaAgents, personaCall } from './decide-workload.js';
import { type LoadResult, medianOf, ROOT, runDecideLoad, startBenchServer } from './http-load.js';
import { recordResult } from './machine.js';
import { cpuMs } from './proc-stats.js';

const CONCURRENCY = 64;
const WARMUP_MS = 1_500;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string' },
    'measure-ms': { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});
const MEASURE_MS = Number(values['measure-ms'] ?? (values.quick ? 2_000 : 6_000));
const ROUNDS = Number(values.rounds ?? (values.quick ? 2 : 4));

type Side = 'plain' | 'history';

/** The example policies without the rules that read signals or the task. */
function plainPolicies(): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-plain-'));
  cpSync(join(ROOT, 'examples/policies'), dir, { recursive: true });
  rmSync(join(dir, 'support-escalations.yaml'));
  rmSync(join(dir, 'support-escalations.test.yaml'));
  const support = join(dir, 'support-assistant.yaml');
  writeFileSync(
    support,
    readFileSync(support, 'utf8').replace(/\n\s*# The task has now touched.*\n\s*label: pii/, ''),
  );
  return dir;
}

/** The persona mix; on the history side the support assistant reports its confidence too. */
function callOf(side: Side, agents: readonly BenchAgent[]) {
  return (n: number) => {
    const call = personaCall(agents, n);
    const agent = agents[n % agents.length];
    if (side === 'plain' || agent?.role !== 'support-assistant') return call;
    const body = call.body as { context: Record<string, unknown> };
    // One call in ten is unsure, so the low-confidence guardrail reviews it.
    const confidence = n % 10 === 0 ? 0.5 : 0.9;
    return { key: call.key, body: { ...body, context: { ...body.context, signals: { confidence } } } };
  };
}

async function main() {
  const plainDir = plainPolicies();
  const runs: Record<Side, LoadResult[]> = { plain: [], history: [] };
  const cpuPerDecision: Record<Side, number[]> = { plain: [], history: [] };
  try {
    const servers = {
      plain: await startBenchServer('sqlite', { WARDEN_POLICY_DIR: plainDir }),
      history: await startBenchServer('sqlite'),
    };
    try {
      const agents: Record<Side, BenchAgent[]> = {
        plain: await createPersonaAgents(servers.plain.url, servers.plain.adminToken, 20),
        history: await createPersonaAgents(servers.history.url, servers.history.adminToken, 20),
      };
      for (let round = 0; round < ROUNDS; round++) {
        const order: Side[] = round % 2 === 0 ? ['history', 'plain'] : ['plain', 'history'];
        for (const side of order) {
          const load = (measureMs: number) =>
            runDecideLoad({
              url: servers[side].url,
              concurrency: CONCURRENCY,
              warmupMs: 0,
              measureMs,
              call: callOf(side, agents[side]),
            });
          await load(WARMUP_MS);
          const cpuBefore = cpuMs(servers[side].pid);
          const result = await load(MEASURE_MS);
          const decisions = (result.rps * MEASURE_MS) / 1_000;
          const cpu = ((cpuMs(servers[side].pid) - cpuBefore) * 1_000) / decisions;
          cpuPerDecision[side].push(cpu);
          runs[side].push(result);
          console.log(
            `round ${round + 1} ${side.padEnd(7)} c=${CONCURRENCY} p50 ${result.p50_ms} ms  p99 ${result.p99_ms} ms  ${result.rps} decisions/s  server CPU ${Math.round(cpu)} µs/decision  errors ${result.errors}`,
          );
        }
      }
    } finally {
      await servers.plain.stop();
      await servers.history.stop();
    }
  } finally {
    rmSync(plainDir, { recursive: true, force: true });
  }
  const median = (side: Side, pick: (r: LoadResult) => number) => medianOf(runs[side].map(pick));
  const figure = (side: Side) => ({
    cpu_us_per_decision: Math.round(medianOf(cpuPerDecision[side])),
    rps: Math.round(median(side, (r) => r.rps)),
    p50_ms: median(side, (r) => r.p50_ms),
    p99_ms: median(side, (r) => r.p99_ms),
    errors: runs[side].reduce((sum, r) => sum + r.errors, 0),
  });
  const plain = figure('plain');
  const history = figure('history');
  const slower = Math.round((1 - history.rps / plain.rps) * 1000) / 10;
  const cpuCost = Math.round((history.cpu_us_per_decision / plain.cpu_us_per_decision - 1) * 1000) / 10;
  const summary = {
    bench: 'decide-history',
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    measure_ms: MEASURE_MS,
    plain,
    history,
    ratio_rps: Math.round((history.rps / plain.rps) * 1000) / 1000,
    slower_percent: slower,
    cpu_cost_percent: cpuCost,
  };
  recordResult(
    `decide-history: signals and task-history rules against the same bundle without them, SQLite synchronous=FULL, concurrency ${CONCURRENCY}, ${ROUNDS} alternating rounds of ${MEASURE_MS / 1000} s, medians`,
    [
      `without (plain): ${plain.rps} decisions/s, p50 ${plain.p50_ms} ms, p99 ${plain.p99_ms} ms, server CPU ${plain.cpu_us_per_decision} µs per decision (${plain.errors} errors)`,
      `with signals and task history: ${history.rps} decisions/s, p50 ${history.p50_ms} ms, p99 ${history.p99_ms} ms, server CPU ${history.cpu_us_per_decision} µs per decision (${history.errors} errors)`,
      `cost: ${slower} % fewer decisions/s, ${cpuCost} % more server CPU per decision (target ≤ 10 %)`,
      `JSON: \`${JSON.stringify(summary)}\``,
    ],
  );
  console.log(JSON.stringify(summary));
}

await main();
