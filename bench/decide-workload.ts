/**
 * The decide workload the HTTP benchmarks share: agents of the example personas asking about a mix
 * of their tools (allowed, reviewed and denied calls), each call in one of 500 tasks per agent.
 */
import { createBenchAgents, type LoadResult, runDecideLoad } from './http-load.js';

/** Persona -> the calls its agents make (allowed, reviewed and denied ones). */
export const PERSONAS: Record<string, { tool: string; args: Record<string, unknown> }[]> = {
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

export type BenchAgent = { key: string; role: string };

/** `count` agents, the personas in turn. */
export function createPersonaAgents(url: string, adminToken: string, count: number): Promise<BenchAgent[]> {
  const personas = Object.keys(PERSONAS);
  return createBenchAgents(url, adminToken, count, (i) => personas[i % personas.length] as string);
}

/** The n-th call of the mix: agent n, its persona's calls in turn. */
export function personaCall(agents: readonly BenchAgent[], n: number): { key: string; body: object } {
  const agent = agents[n % agents.length] as BenchAgent;
  const calls = PERSONAS[agent.role] ?? [];
  const call = calls[n % calls.length];
  return { key: agent.key, body: { ...call, context: { taskId: `bench-${n % 500}-${n % agents.length}` } } };
}

/** A closed-loop load of the persona mix. */
export function runPersonaLoad(
  url: string,
  agents: readonly BenchAgent[],
  concurrency: number,
  warmupMs: number,
  measureMs: number,
  calls?: number,
): Promise<LoadResult> {
  return runDecideLoad({
    url,
    concurrency,
    warmupMs,
    measureMs,
    ...(calls !== undefined ? { calls } : {}),
    call: (n) => personaCall(agents, n),
  });
}
