/**
 * Budgets benchmark: what admission by reservation and rate limiting cost on the decide path.
 * One `warden up` process per database and mode, concurrency 64, 20 support agents asking an
 * allowed call:
 * - plain: no budgets (the budgets file is empty), no rate limits, no estimate;
 * - governed: every call carries an estimate reserved against three budgets (its tier's daily usd,
 *   a per-task usd cap and the tenant's monthly usd cap; limits high enough that nothing is
 *   refused) and passes an agent rate limit — in memory on SQLite, in Redis on PostgreSQL, as a
 *   multi-node deployment runs it.
 * The two modes alternate (plain, governed, plain, governed) so machine drift hits both alike.
 * Last line: {"bench":"budgets","sqlite_overhead_pct":…,"pg_overhead_pct":…}.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BenchDatabase,
  createBenchAgents,
  type LoadResult,
  runDecideLoad,
  startBenchServer,
} from './http-load.js';
import { recordResult } from './machine.js';

const CONCURRENCY = 64;
const ROUNDS = 2;
const WARMUP_MS = 1_500;
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 6_000);
const REDIS_URL = process.env.WARDEN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const PLAIN = 'budgets: []\nrateLimits: []\n';
const GOVERNED = `budgets:
  - { name: sandbox-daily-usd, scope: agent, tier: sandbox, period: day, unit: usd, limit: 1000000 }
  - { name: task-cap-usd, scope: task, period: task, unit: usd, limit: 100000 }
  - { name: tenant-monthly-usd, scope: tenant, period: month, unit: usd, limit: 100000000 }
rateLimits:
  - { name: agent-calls, scope: agent, maxCalls: 1000000, windowSeconds: 60 }
`;

type Mode = 'plain' | 'governed';

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-budgets-'));
  const files = { plain: join(dir, 'plain.yaml'), governed: join(dir, 'governed.yaml') };
  writeFileSync(files.plain, PLAIN);
  writeFileSync(files.governed, GOVERNED);
  const summary: Record<BenchDatabase, Record<Mode, LoadResult[]>> = {
    sqlite: { plain: [], governed: [] },
    postgres: { plain: [], governed: [] },
  };
  try {
    for (const db of ['sqlite', 'postgres'] as const) {
      for (let round = 0; round < ROUNDS; round++) {
        for (const mode of ['plain', 'governed'] as const) {
          const result = await runMode(db, mode, files[mode]);
          summary[db][mode].push(result);
          console.log(
            `${db.padEnd(8)} ${mode.padEnd(8)} c=${CONCURRENCY} p50 ${result.p50_ms} ms  p99 ${result.p99_ms} ms  ${result.rps} decisions/s  errors ${result.errors}`,
          );
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const rps = (db: BenchDatabase, mode: Mode) =>
    summary[db][mode].reduce((sum, r) => sum + r.rps, 0) / summary[db][mode].length;
  const overhead = (db: BenchDatabase) =>
    Math.round(((rps(db, 'plain') - rps(db, 'governed')) / rps(db, 'plain')) * 1000) / 10;
  recordResult(
    'budgets (decide with reservation against three budgets + rate limit vs plain decide, concurrency 64; rate limits in memory on SQLite, Redis on PostgreSQL)',
    (['sqlite', 'postgres'] as const).map(
      (db) =>
        `${db}: plain ${Math.round(rps(db, 'plain'))} decisions/s, governed ${Math.round(rps(db, 'governed'))} decisions/s, overhead ${overhead(db)} % (p99 plain ${summary[db].plain.map((r) => r.p99_ms).join('/')} ms, governed ${summary[db].governed.map((r) => r.p99_ms).join('/')} ms)`,
    ),
  );
  console.log(
    JSON.stringify({
      bench: 'budgets',
      sqlite_overhead_pct: overhead('sqlite'),
      pg_overhead_pct: overhead('postgres'),
    }),
  );
}

async function runMode(db: BenchDatabase, mode: Mode, budgetsFile: string): Promise<LoadResult> {
  const server = await startBenchServer(db, {
    WARDEN_BUDGETS_FILE: budgetsFile,
    ...(db === 'postgres' && mode === 'governed' ? { WARDEN_REDIS_URL: REDIS_URL } : {}),
  });
  try {
    const agents = await createBenchAgents(server.url, server.adminToken, 20, () => 'support-assistant');
    return await runDecideLoad({
      url: server.url,
      concurrency: CONCURRENCY,
      warmupMs: WARMUP_MS,
      measureMs: MEASURE_MS,
      call: (n) => ({
        key: (agents[n % agents.length] as { key: string }).key,
        body: {
          tool: 'kb.articles.search',
          args: { query: 'refund' },
          context: { taskId: `bench-${n % 500}-${n % agents.length}` },
          ...(mode === 'governed' ? { estimate: { usd: 0.002, tokens: 800 } } : {}),
        },
      }),
      // A governed call must be admitted: a refusal would measure the cheaper deny path.
      isError: (body) => !body.includes('"effect":"allow"'),
    });
  } finally {
    await server.stop();
  }
}

await main();
