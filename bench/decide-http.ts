/**
 * HTTP decide benchmark: Warden in its own process (`warden up`, durable audit: SQLite with
 * synchronous=FULL, or PostgreSQL), the load from this process over keep-alive connections.
 * 20 agents of the example personas ask about a mix of their tools; every decision is audited before
 * it is answered. For each database and concurrency (1, 16, 64): p50/p99 latency and decisions/s.
 * Last line: one JSON object.
 */
import { createBenchAgents, runDecideLoad, startBenchServer } from './http-load.js';
import { recordResult } from './machine.js';

const CONCURRENCIES = [1, 16, 64];
const WARMUP_MS = 1_500;
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 6_000);

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
    const server = await startBenchServer(db);
    try {
      const personas = Object.keys(PERSONAS);
      const agents = await createBenchAgents(
        server.url,
        server.adminToken,
        20,
        (i) => personas[i % personas.length] as string,
      );
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

async function measure(
  url: string,
  agents: { key: string; role: string }[],
  concurrency: number,
  db: Result['db'],
): Promise<Result> {
  const result = await runDecideLoad({
    url,
    concurrency,
    warmupMs: WARMUP_MS,
    measureMs: MEASURE_MS,
    call: (n) => {
      const agent = agents[n % agents.length] as { key: string; role: string };
      const calls = PERSONAS[agent.role] ?? [];
      const call = calls[n % calls.length];
      return {
        key: agent.key,
        body: { ...call, context: { taskId: `bench-${n % 500}-${n % agents.length}` } },
      };
    },
  });
  return { db, concurrency, ...result };
}

await main();
