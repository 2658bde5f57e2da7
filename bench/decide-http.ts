/**
 * HTTP decide benchmark: Warden in its own process (`warden up`, durable audit: SQLite with
 * synchronous=FULL, or PostgreSQL), the load from this process over keep-alive connections.
 * 20 agents of the example personas ask about a mix of their tools; every decision is audited before
 * it is answered. For each database and concurrency (1, 16, 64): p50/p99 latency and decisions/s.
 * Last line: one JSON object.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Pool } from 'undici';
import { recordResult } from './machine.js';
import { startWardenProcess, type WardenProcess } from './warden-process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONCURRENCIES = [1, 16, 64];
const WARMUP_MS = 1_500;
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 6_000);
const POSTGRES_URL = process.env.WARDEN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Persona -> the calls its agents make (allowed, reviewed and denied ones). */
const PERSONAS: Record<string, { tool: string; args: Record<string, unknown> }[]> = {
  'support-assistant': [
    { tool: 'kb.articles.search', args: { query: 'refund' } },
    { tool: 'helpdesk.tickets.read', args: { id: 42 } },
    { tool: 'payments.refund', args: { amount: 120 } },
    { tool: 'payments.refund', args: { amount: 800 } },
    { tool: 'email.send', args: { to: 'c@example.com', discount_percent: 30 } },
  ],
  'deploy-agent': [
    { tool: 'github.repos.read', args: { repo: 'shop' } },
    { tool: 'ci.pipelines.trigger', args: { pipeline: 'build' } },
    { tool: 'deploy.manifests.update', args: { environment: 'staging' } },
    { tool: 'deploy.production', args: { service: 'shop' } },
  ],
  'code-review-bot': [
    { tool: 'github.pulls.read', args: { pr: 7 } },
    { tool: 'github.pulls.comment', args: { pr: 7, body: 'nit' } },
    { tool: 'github.pulls.merge', args: { pr: 7 } },
  ],
  'data-pipeline': [
    { tool: 'warehouse.query', args: { sql: 'select id, total from orders', columns: ['id', 'total'] } },
    { tool: 'warehouse.tables.write', args: { table: 'staging_orders', columns: ['id', 'total'] } },
    { tool: 'warehouse.tables.write', args: { table: 'orders', columns: ['id', 'total'] } },
    { tool: 'warehouse.query', args: { sql: 'select email from customers', columns: ['email'] } },
  ],
};

interface Result {
  db: 'sqlite' | 'postgres';
  concurrency: number;
  p50_ms: number;
  p99_ms: number;
  rps: number;
  errors: number;
}

async function main() {
  const results: Result[] = [];
  for (const db of ['sqlite', 'postgres'] as const) {
    const server = await startServer(db);
    try {
      const agents = await createAgents(server.url, server.adminToken);
      for (const concurrency of CONCURRENCIES) {
        const result = await measure(server.url, agents, concurrency, db);
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

async function startServer(db: 'sqlite' | 'postgres'): Promise<WardenProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-bench-'));
  let schema: string | undefined;
  let databaseUrl: string | undefined;
  if (db === 'postgres') {
    schema = `bench_${Date.now().toString(36)}`;
    await adminQuery(`create schema ${schema}`);
    databaseUrl = `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  }
  const server = await startWardenProcess(dataDir, {
    WARDEN_POLICY_DIR: join(ROOT, 'examples/policies'),
    WARDEN_DATABASE_POOL_SIZE: '20',
    ...(databaseUrl ? { WARDEN_DATABASE_URL: databaseUrl } : {}),
  });
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

interface BenchAgent {
  key: string;
  persona: string;
}

async function createAgents(url: string, adminToken: string): Promise<BenchAgent[]> {
  const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  const me = (await (await fetch(`${url}/v1/me`, { headers })).json()) as { human: { id: string } };
  const agents: BenchAgent[] = [];
  const personas = Object.keys(PERSONAS);
  for (let i = 0; i < 20; i++) {
    const persona = personas[i % personas.length] as string;
    const res = await fetch(`${url}/v1/agents`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: `bench-${persona}-${i}`,
        ownerId: me.human.id,
        purpose: 'benchmark load',
        risk: 'internal',
        environments: ['staging'],
        roles: [persona],
      }),
    });
    if (res.status !== 201) throw new Error(`creating an agent failed: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { secret: string };
    agents.push({ key: body.secret, persona });
  }
  return agents;
}

async function measure(
  url: string,
  agents: BenchAgent[],
  concurrency: number,
  db: Result['db'],
): Promise<Result> {
  const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  let counter = 0;
  const run = async (until: number, record: boolean) => {
    while (performance.now() < until) {
      const n = counter++;
      const agent = agents[n % agents.length] as BenchAgent;
      const calls = PERSONAS[agent.persona] ?? [];
      const call = calls[n % calls.length];
      const started = performance.now();
      const res = await pool.request({
        method: 'POST',
        path: '/v1/decide',
        headers: { authorization: `Bearer ${agent.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...call, context: { taskId: `bench-${n % 500}-${n % agents.length}` } }),
      });
      await res.body.dump();
      const elapsed = performance.now() - started;
      if (res.statusCode !== 200) errors++;
      if (record) latencies.push(elapsed);
    }
  };
  const workers = (until: number, record: boolean) =>
    Promise.all(Array.from({ length: concurrency }, () => run(until, record)));
  await workers(performance.now() + WARMUP_MS, false);
  const started = performance.now();
  await workers(started + MEASURE_MS, true);
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    db,
    concurrency,
    p50_ms: round(at(0.5)),
    p99_ms: round(at(0.99)),
    rps: Math.round(latencies.length / seconds),
    errors,
  };
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

await main();
