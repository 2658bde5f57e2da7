/**
 * HTTP decide benchmark: Warden in its own process (`warden up`, durable audit: SQLite with
 * synchronous=FULL, or PostgreSQL), the load from this process over keep-alive connections.
 * 20 agents of the example personas ask about a mix of their tools; every decision is audited before
 * it is answered. For each database and concurrency (1, 16, 64): p50/p99 latency and decisions/s.
 *
 * `--baseline <git-ref>` compares instead: the ref is built in a temporary worktree, both versions run
 * as servers on SQLite side by side, and they are measured in alternating rounds (A B, B A, …) at
 * concurrency 64 (decisions/s) and 1 (latency), so drift of a shared machine hits both alike. The
 * ratios are this version over the baseline (medians of the rounds).
 * Flags: --baseline REF, --rounds N (default 4), --measure-ms N (default 6000), --quick (2 rounds
 * of 2 s).
 * Last line: one JSON object.
 */
import { parseArgs } from 'node:util';
import { buildBaseline, removeOnSignal } from './baseline.js';
import { type BenchAgent, createPersonaAgents, runPersonaLoad } from './decide-workload.js';
import { type LoadResult, medianOf, startBenchServer } from './http-load.js';
import { recordResult } from './machine.js';

const CONCURRENCIES = [1, 16, 64];
const WARMUP_MS = 1_500;

const { values } = parseArgs({
  options: {
    baseline: { type: 'string' },
    rounds: { type: 'string' },
    'measure-ms': { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});
const MEASURE_MS = Number(
  values['measure-ms'] ?? (values.quick ? 2_000 : (process.env.BENCH_MEASURE_MS ?? 6_000)),
);
const ROUNDS = Number(values.rounds ?? (values.quick ? 2 : 4));

interface Result extends LoadResult {
  db: 'sqlite' | 'postgres';
  concurrency: number;
}

async function main() {
  const results: Result[] = [];
  for (const db of ['sqlite', 'postgres'] as const) {
    const server = await startBenchServer(db);
    try {
      const agents = await createPersonaAgents(server.url, server.adminToken, 20);
      for (const concurrency of CONCURRENCIES) {
        const result = {
          db,
          concurrency,
          ...(await runPersonaLoad(server.url, agents, concurrency, WARMUP_MS, MEASURE_MS)),
        };
        results.push(result);
        console.log(
          `${db.padEnd(8)} c=${String(concurrency).padEnd(3)} p50 ${result.p50_ms.toFixed(3)} ms  p99 ${result.p99_ms.toFixed(3)} ms  ${result.rps.toFixed(0)} decisions/s  errors ${result.errors}`,
        );
      }
    } finally {
      await server.stop();
    }
  }
  recordResult(
    'decide-http (server process + load process, every decision audited; SQLite synchronous=FULL)',
    results.map(
      (r) =>
        `${r.db}, concurrency ${r.concurrency}: p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, ${r.rps} decisions/s (${r.errors} errors)`,
    ),
  );
  console.log(
    JSON.stringify({
      bench: 'decide-http',
      results: results.map(({ db, concurrency, p50_ms, p99_ms, rps }) => ({
        db,
        concurrency,
        p50_ms,
        p99_ms,
        rps,
      })),
    }),
  );
}

type Side = 'current' | 'baseline';
const AB_CONCURRENCIES = [64, 1] as const;

async function compare(ref: string) {
  const baseline = buildBaseline(ref);
  removeOnSignal(baseline);
  const runs: Record<Side, Record<number, LoadResult[]>> = {
    current: { 64: [], 1: [] },
    baseline: { 64: [], 1: [] },
  };
  try {
    const servers = {
      current: await startBenchServer('sqlite'),
      baseline: await startBenchServer('sqlite', {}, { root: baseline.root }),
    };
    try {
      const agents: Record<Side, BenchAgent[]> = {
        current: await createPersonaAgents(servers.current.url, servers.current.adminToken, 20),
        baseline: await createPersonaAgents(servers.baseline.url, servers.baseline.adminToken, 20),
      };
      for (let round = 0; round < ROUNDS; round++) {
        // A B, then B A: neither side always runs first (warmer caches, the other side's leftovers).
        const order: Side[] = round % 2 === 0 ? ['current', 'baseline'] : ['baseline', 'current'];
        for (const concurrency of AB_CONCURRENCIES) {
          for (const side of order) {
            const result = await runPersonaLoad(
              servers[side].url,
              agents[side],
              concurrency,
              WARMUP_MS,
              MEASURE_MS,
            );
            runs[side][concurrency]?.push(result);
            console.log(
              `round ${round + 1} ${side.padEnd(8)} c=${String(concurrency).padEnd(2)} p50 ${result.p50_ms} ms  p99 ${result.p99_ms} ms  ${result.rps} decisions/s  errors ${result.errors}`,
            );
          }
        }
      }
    } finally {
      await servers.current.stop();
      await servers.baseline.stop();
    }
  } finally {
    baseline.remove();
  }
  const median = (side: Side, concurrency: number, pick: (r: LoadResult) => number) =>
    medianOf((runs[side][concurrency] ?? []).map(pick));
  const figure = (side: Side) => ({
    c64_rps: Math.round(median(side, 64, (r) => r.rps)),
    c64_p99_ms: median(side, 64, (r) => r.p99_ms),
    c1_p50_ms: median(side, 1, (r) => r.p50_ms),
    c1_p99_ms: median(side, 1, (r) => r.p99_ms),
    errors: [64, 1].reduce((sum, c) => sum + (runs[side][c] ?? []).reduce((s, r) => s + r.errors, 0), 0),
  });
  const current = figure('current');
  const base = figure('baseline');
  const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
  const summary = {
    bench: 'decide-http-ab',
    baseline: baseline.commit.slice(0, 12),
    rounds: ROUNDS,
    measure_ms: MEASURE_MS,
    current,
    baseline_figures: base,
    ratio_c64_rps: ratio(current.c64_rps, base.c64_rps),
    ratio_c64_p99: ratio(current.c64_p99_ms, base.c64_p99_ms),
    ratio_c1_p50: ratio(current.c1_p50_ms, base.c1_p50_ms),
    ratio_c1_p99: ratio(current.c1_p99_ms, base.c1_p99_ms),
  };
  const line = (name: string, f: typeof current) =>
    `${name}: c64 ${f.c64_rps} decisions/s (p99 ${f.c64_p99_ms} ms); c1 p50 ${f.c1_p50_ms} ms, p99 ${f.c1_p99_ms} ms (${f.errors} errors)`;
  recordResult(
    `decide-http A/B against ${ref} (${baseline.commit.slice(0, 12)}), SQLite synchronous=FULL, ${ROUNDS} alternating rounds of ${MEASURE_MS / 1000} s, medians`,
    [
      line('this version', current),
      line('baseline', base),
      `ratios (this / baseline): c64 decisions/s ${summary.ratio_c64_rps}, c64 p99 ${summary.ratio_c64_p99}, c1 p50 ${summary.ratio_c1_p50}, c1 p99 ${summary.ratio_c1_p99}`,
      `JSON: \`${JSON.stringify(summary)}\``,
    ],
  );
  console.log(JSON.stringify(summary));
}

if (values.baseline) await compare(values.baseline);
else await main();
