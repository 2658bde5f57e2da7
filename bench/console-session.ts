/**
 * Console session benchmark: what authenticating a request by the console's session cookie costs
 * against the same request with the human's API token. A token is verified from a per-node cache;
 * a session is read from the database on every request (so a sign-out or a disabled human applies
 * at once, on every node): this measures that read. One `warden up` process (from the build) per
 * database; the client sends `GET /v1/me` (the lightest human route, so the difference shows) with
 * `--concurrency` requests in flight, alternating rounds (token, cookie, cookie, token, …) so drift
 * of a shared machine hits both alike. Throughput and latencies are medians over rounds.
 * Flags: --requests N per round (default 2000), --rounds N (default 6), --concurrency N (default 8),
 * --databases sqlite,postgres.
 * Last line: {"bench":"console-session",…}
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { recordResult } from './machine.js';
import { startWardenProcess } from './warden-process.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '6' },
    concurrency: { type: 'string', default: '8' },
    databases: { type: 'string', default: 'sqlite,postgres' },
  },
});
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);
const CONCURRENCY = Number(values.concurrency);
const POSTGRES = process.env.WARDEN_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

type Path = 'token' | 'cookie';
interface Round {
  readonly per_s: number;
  readonly p50_ms: number;
  readonly p95_ms: number;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const quantile = (xs: readonly number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
};
const round3 = (x: number) => Number(x.toFixed(3));

/** `REQUESTS` GETs of /v1/me with these headers, `CONCURRENCY` at a time. */
async function runRound(url: string, headers: Record<string, string>): Promise<Round> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < REQUESTS) {
      next++;
      const t0 = performance.now();
      const res = await fetch(`${url}/v1/me`, { headers });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`GET /v1/me: ${res.status}`);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  return {
    per_s: latencies.length / seconds,
    p50_ms: quantile(latencies, 0.5),
    p95_ms: quantile(latencies, 0.95),
  };
}

async function benchDatabase(database: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-bench-console-'));
  const schema = `bench_console_${Date.now()}`;
  const env: Record<string, string> =
    database === 'postgres'
      ? { WARDEN_DATABASE_URL: `${POSTGRES}?options=${encodeURIComponent(`-c search_path=${schema}`)}` }
      : {};
  if (database === 'postgres') {
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: POSTGRES });
    await client.connect();
    await client.query(`create schema ${schema}`);
    await client.end();
  }
  const server = await startWardenProcess(dataDir, env);
  try {
    const signIn = await fetch(`${server.url}/v1/console/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: server.adminToken }),
    });
    const cookie = /warden_session=[^;]+/.exec(signIn.headers.get('set-cookie') ?? '')?.[0];
    if (!cookie) throw new Error(`sign-in failed: ${signIn.status}`);
    const headersOf: Record<Path, Record<string, string>> = {
      token: { authorization: `Bearer ${server.adminToken}` },
      cookie: { cookie },
    };
    for (const path of ['token', 'cookie'] as const) await runRound(server.url, headersOf[path]);
    const rounds: Record<Path, Round[]> = { token: [], cookie: [] };
    for (let i = 0; i < ROUNDS; i++) {
      const order: Path[] = i % 2 === 0 ? ['token', 'cookie'] : ['cookie', 'token'];
      for (const path of order) rounds[path].push(await runRound(server.url, headersOf[path]));
    }
    const summary = (path: Path) => ({
      per_s: Math.round(median(rounds[path].map((r) => r.per_s))),
      p50_ms: round3(median(rounds[path].map((r) => r.p50_ms))),
      p95_ms: round3(median(rounds[path].map((r) => r.p95_ms))),
    });
    const token = summary('token');
    const cookieResult = summary('cookie');
    return {
      database,
      token,
      cookie: cookieResult,
      cookie_vs_token_throughput: round3(cookieResult.per_s / token.per_s),
    };
  } finally {
    await server.stop();
    if (database === 'postgres') {
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: POSTGRES });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    }
  }
}

const results = [];
for (const database of values.databases.split(',')) results.push(await benchDatabase(database));
const lines = results.map(
  (r) =>
    `${r.database}, GET /v1/me, ${CONCURRENCY} in flight, ${ROUNDS} rounds of ${REQUESTS} alternated: ` +
    `token ${r.token.per_s}/s (p50 ${r.token.p50_ms} ms, p95 ${r.token.p95_ms} ms), ` +
    `cookie ${r.cookie.per_s}/s (p50 ${r.cookie.p50_ms} ms, p95 ${r.cookie.p95_ms} ms): ` +
    `cookie/token throughput ${r.cookie_vs_token_throughput}`,
);
const json = JSON.stringify({ bench: 'console-session', concurrency: CONCURRENCY, results });
recordResult('console-session (session cookie vs API token on a human route)', [
  ...lines,
  'The machine was shared with other work while this ran (2 cores): compare the ratio, measured interleaved, not the absolute figures.',
  `JSON: \`${json}\``,
]);
for (const line of lines) console.log(line);
console.log(json);
