/**
 * What the HTTP benchmarks share: a `warden up` process on SQLite or a fresh PostgreSQL schema,
 * agents made through the API, and a closed-loop load of decide calls over keep-alive connections.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Pool } from 'undici';
import { type ProcessOptions, startWardenProcess, type WardenProcess } from './warden-process.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const POSTGRES_URL = process.env.WARDEN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type BenchDatabase = 'sqlite' | 'postgres';

/** A server with the example policies (of its own version), on SQLite (synchronous=FULL) or its own PostgreSQL schema. */
export async function startBenchServer(
  db: BenchDatabase,
  env: Record<string, string> = {},
  options: ProcessOptions = {},
): Promise<WardenProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-bench-'));
  let schema: string | undefined;
  let databaseUrl: string | undefined;
  if (db === 'postgres') {
    schema = `bench_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
    await adminQuery(`create schema ${schema}`);
    databaseUrl = `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  }
  const server = await startWardenProcess(
    dataDir,
    {
      // Each version with its own examples (a baseline may not read a newer policy language), or
      // one directory for both (BENCH_POLICY_DIR), to compare versions on the same bundle.
      WARDEN_POLICY_DIR: process.env.BENCH_POLICY_DIR ?? join(options.root ?? ROOT, 'examples/policies'),
      WARDEN_DATABASE_POOL_SIZE: '20',
      ...(databaseUrl ? { WARDEN_DATABASE_URL: databaseUrl } : {}),
      ...env,
    },
    options,
  );
  return {
    ...server,
    async stop() {
      await server.stop();
      if (schema) await adminQuery(`drop schema ${schema} cascade`);
    },
  };
}

async function adminQuery(text: string) {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(text);
  await client.end();
}

/** `count` active agents with the given roles; answers their keys. */
export async function createBenchAgents(
  url: string,
  adminToken: string,
  count: number,
  roleOf: (i: number) => string,
): Promise<{ key: string; role: string }[]> {
  const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  const me = (await (await fetch(`${url}/v1/me`, { headers })).json()) as { human: { id: string } };
  const agents: { key: string; role: string }[] = [];
  for (let i = 0; i < count; i++) {
    const role = roleOf(i);
    const res = await fetch(`${url}/v1/agents`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: `bench-${role}-${i}`,
        ownerId: me.human.id,
        purpose: 'benchmark load',
        risk: 'internal',
        environments: ['staging'],
        roles: [role],
      }),
    });
    if (res.status !== 201) throw new Error(`creating an agent failed: ${res.status} ${await res.text()}`);
    agents.push({ key: ((await res.json()) as { secret: string }).secret, role });
  }
  return agents;
}

export interface LoadResult {
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly rps: number;
  readonly errors: number;
}

export interface LoadOptions {
  readonly url: string;
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  /** The n-th call: which agent key and which decide body. */
  readonly call: (n: number) => { key: string; body: object };
  /** Ends the measured period after this many calls (else it runs for `measureMs`). */
  readonly calls?: number;
  /** Counts an answer as an error (non-200 always is). */
  readonly isError?: (body: string) => boolean;
  /** Headers every call carries besides the key's (e.g. a W3C traceparent). */
  readonly headers?: Record<string, string>;
}

/** `concurrency` workers deciding back to back: a warm-up, then the measured period. */
export async function runDecideLoad(options: LoadOptions): Promise<LoadResult> {
  const pool = new Pool(options.url, { connections: options.concurrency, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  let counter = 0;
  let measured = 0;
  const run = async (until: number, record: boolean) => {
    while (
      performance.now() < until &&
      !(record && options.calls !== undefined && measured >= options.calls)
    ) {
      if (record) measured++;
      const { key, body } = options.call(counter++);
      const started = performance.now();
      const res = await pool.request({
        method: 'POST',
        path: '/v1/decide',
        headers: { ...options.headers, authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      let text = '';
      if (options.isError) text = await res.body.text();
      else await res.body.dump();
      const elapsed = performance.now() - started;
      if (res.statusCode !== 200 || options.isError?.(text)) errors++;
      if (record) latencies.push(elapsed);
    }
  };
  const workers = (until: number, record: boolean) =>
    Promise.all(Array.from({ length: options.concurrency }, () => run(until, record)));
  await workers(performance.now() + options.warmupMs, false);
  const started = performance.now();
  await workers(started + options.measureMs, true);
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    p50_ms: round(at(0.5)),
    p99_ms: round(at(0.99)),
    rps: Math.round(latencies.length / seconds),
    errors,
  };
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** The median of alternating rounds' figures, to three decimals (the A/B benches report medians). */
export function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const value =
    sorted.length % 2 === 1
      ? (sorted[Math.floor(mid)] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return Math.round(value * 1000) / 1000;
}
