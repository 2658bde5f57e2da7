import { describe, expect, it } from 'vitest';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode } from '../helpers/test-node.js';
import { createBudget, decide, ManualClock, reportOutcome } from './budget-fixtures.js';

/**
 * An outcome settles its reservation inside its transaction; when the budget cache has gone stale
 * meanwhile, it reloads through that transaction. (On SQLite a reload through the pool waited for
 * the transaction's own connection: the node hung on the first outcome after the cache's TTL.)
 */
describe.each(DATABASES)('settling after the budget cache expired (%s)', (kind) => {
  it('settles the outcome and the node goes on answering', async () => {
    const clock = new ManualClock(Date.now());
    const t = await startTestNode(kind, { clock: clock.now });
    try {
      const { agent, key } = await seedAgent(t.node);
      const budgetId = await createBudget(t.node, t.adminToken, {
        scope: 'agent',
        agentId: agent.id,
        period: 'day',
        unit: 'usd',
        limit: 10,
      });
      const decided = await decide(t.node, key, {
        tool: 'kb.articles.search',
        args: { query: 'x' },
        estimate: { usd: 0.01 },
      });
      expect(decided.statusCode, decided.body).toBe(200);
      clock.advance(t.node.config.credentialCacheTtlMs + 1_000);
      const outcome = await reportOutcome(t.node, key, decided.json().decisionId, {
        status: 'succeeded',
        costUsd: 0.005,
      });
      expect(outcome.statusCode, outcome.body).toBe(200);
      const counter = await t.node.storage.db
        .selectFrom('budget_counters')
        .select(['reserved', 'spent'])
        .where('budget_id', '=', budgetId)
        .executeTakeFirstOrThrow();
      expect({ reserved: Number(counter.reserved), spent: Number(counter.spent) }).toEqual({
        reserved: 0,
        spent: 5_000,
      });
    } finally {
      await t.close();
    }
  }, 20_000);
});
