/**
 * What a shadow policy bundle costs the decide path (target: ≤ 10 % of decisions/s at concurrency
 * 64): two `warden up` processes on SQLite (synchronous=FULL, every decision audited), both with the
 * example policies; on one a shadow bundle runs (the examples with one rule changed, so the
 * support assistants' knowledge-base reads diverge and are recorded). Both get the same persona mix
 * at concurrency 64 in alternating rounds (off on, on off, …) so drift of a shared machine hits both
 * alike; the figures are the medians of decisions/s and of the server's CPU time per decision.
 * Flags: --rounds N (default 4), --measure-ms N (default 6000), --quick (2 rounds of 2 s).
 * Last line: one JSON object.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createPersonaAgents, personaCall } from './decide-workload.js';
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

type Side = 'off' | 'on';

/** The example policies, with the knowledge-base reads of support assistants turned into denies. */
function shadowFiles() {
  const dir = join(ROOT, 'examples/policies');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.yaml') && !name.endsWith('.test.yaml'))
    .map((path) => {
      const text = readFileSync(join(dir, path), 'utf8');
      return {
        path,
        text:
          path === 'support-assistant.yaml'
            ? text.replace(/(id: support-read-kb-and-tickets\n\s+effect:) allow/, '$1 deny')
            : text,
      };
    });
}

async function api(url: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json() as Promise<Record<string, unknown>>;
}

async function main() {
  const servers = { off: await startBenchServer('sqlite'), on: await startBenchServer('sqlite') };
  const runs: Record<Side, LoadResult[]> = { off: [], on: [] };
  const cpuPerDecision: Record<Side, number[]> = { off: [], on: [] };
  let report: Record<string, unknown> = {};
  try {
    await api(servers.on.url, servers.on.adminToken, 'POST', '/v1/policies/shadow', { files: shadowFiles() });
    const agents = {
      off: await createPersonaAgents(servers.off.url, servers.off.adminToken, 20),
      on: await createPersonaAgents(servers.on.url, servers.on.adminToken, 20),
    };
    for (const side of ['off', 'on'] as const) {
      await runDecideLoad({
        url: servers[side].url,
        concurrency: CONCURRENCY,
        warmupMs: 0,
        measureMs: 4 * WARMUP_MS,
        call: (n) => personaCall(agents[side], n),
      });
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order: Side[] = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
      for (const side of order) {
        const load = (measureMs: number) =>
          runDecideLoad({
            url: servers[side].url,
            concurrency: CONCURRENCY,
            warmupMs: 0,
            measureMs,
            call: (n) => personaCall(agents[side], n),
          });
        await load(WARMUP_MS);
        const cpuBefore = cpuMs(servers[side].pid);
        const result = await load(MEASURE_MS);
        const decisions = (result.rps * MEASURE_MS) / 1_000;
        cpuPerDecision[side].push(((cpuMs(servers[side].pid) - cpuBefore) * 1_000) / decisions);
        runs[side].push(result);
        console.log(
          `round ${round + 1} ${side.padEnd(3)} c=${CONCURRENCY} p50 ${result.p50_ms} ms  p99 ${result.p99_ms} ms  ${result.rps} decisions/s  server CPU ${Math.round(cpuPerDecision[side].at(-1) ?? 0)} µs/decision  errors ${result.errors}`,
        );
      }
    }
    // The flusher writes every second; give it one more pass before reading the report.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    report = await api(servers.on.url, servers.on.adminToken, 'GET', '/v1/policies/shadow');
  } finally {
    await servers.off.stop();
    await servers.on.stop();
  }
  const median = (side: Side, pick: (r: LoadResult, i: number) => number) => medianOf(runs[side].map(pick));
  const figure = (side: Side) => ({
    rps: Math.round(median(side, (r) => r.rps)),
    p50_ms: median(side, (r) => r.p50_ms),
    p99_ms: median(side, (r) => r.p99_ms),
    errors: runs[side].reduce((sum, r) => sum + r.errors, 0),
    cpu_us: Math.round(median(side, (_r, i) => cpuPerDecision[side][i] ?? 0)),
  });
  const off = figure('off');
  const on = figure('on');
  const costPercent = Math.round((1 - on.rps / off.rps) * 1000) / 10;
  const cpuCostPercent = Math.round((on.cpu_us / off.cpu_us - 1) * 1000) / 10;
  const summary = {
    bench: 'policy-shadow',
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    measure_ms: MEASURE_MS,
    off_rps: off.rps,
    on_rps: on.rps,
    throughput_cost_percent: costPercent,
    off_cpu_us_per_decision: off.cpu_us,
    on_cpu_us_per_decision: on.cpu_us,
    cpu_cost_percent: cpuCostPercent,
    off_p99_ms: off.p99_ms,
    on_p99_ms: on.p99_ms,
    errors: off.errors + on.errors,
    shadow_decisions: report.decisions ?? null,
    shadow_divergences: report.divergences ?? null,
  };
  recordResult(
    `policy-shadow (decide over HTTP at concurrency ${CONCURRENCY}, SQLite synchronous=FULL; no shadow vs a shadow bundle that diverges on some calls; ${ROUNDS} alternating rounds of ${MEASURE_MS / 1000} s, medians)`,
    [
      `without: ${off.rps} decisions/s, p50 ${off.p50_ms} ms, p99 ${off.p99_ms} ms, server CPU ${off.cpu_us} µs per decision`,
      `with a shadow bundle: ${on.rps} decisions/s, p50 ${on.p50_ms} ms, p99 ${on.p99_ms} ms, server CPU ${on.cpu_us} µs per decision`,
      `cost of the shadow bundle: ${costPercent} % of decisions/s, ${cpuCostPercent} % more server CPU per decision (target ≤ 10 %)`,
      `the shadow saw ${String(report.decisions)} decisions and recorded ${String(report.divergences)} divergences`,
      `JSON: \`${JSON.stringify(summary)}\``,
    ],
  );
  console.log(JSON.stringify(summary));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
