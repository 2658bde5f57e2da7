import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEventsOf, request } from '../helpers/api.js';
import { bearer, seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';

describe.each(DATABASES)('budgets on the decide path (%s)', (db) => {
  let t: TestNode;
  const decide = (key: string, payload: object) =>
    t.node.app.inject({ method: 'POST', url: '/v1/decide', headers: bearer(key), payload });
  const outcome = (key: string, decisionId: string, payload: object) =>
    t.node.app.inject({
      method: 'POST',
      url: `/v1/decisions/${decisionId}/outcome`,
      headers: bearer(key),
      payload,
    });
  const createBudget = async (body: object) => {
    const res = await request(t.node, 'POST', '/v1/budgets', t.adminToken, body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string };
  };

  beforeAll(async () => {
    t = await startTestNode(db);
  });
  afterAll(() => t.close());

  it('reserves the estimate, refuses what does not fit, and settles the actual amount on the outcome', async () => {
    const { agent, key } = await seedAgent(t.node, { roles: ['support-assistant'] });
    const budget = await createBudget({
      name: `agent-${agent.id.slice(-6)}`,
      scope: 'agent',
      agentId: agent.id,
      period: 'day',
      unit: 'usd',
      limit: 10,
    });
    const first = await decide(key, { tool: 'kb.articles.search', args: {}, estimate: { usd: 6 } });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ effect: 'allow', budget: { remaining: { usd: 4 } } });
    expect(first.json().budget.warnings[0]).toMatchObject({ budgetId: budget.id, percent: 60 });
    const refused = await decide(key, { tool: 'kb.articles.search', args: {}, estimate: { usd: 5 } });
    expect(refused.json()).toMatchObject({ effect: 'deny', code: 'budget_exceeded' });
    expect(refused.json().reason).toContain('$4.00 left of $10.00');
    const settled = await outcome(key, first.json().decisionId, { status: 'succeeded', costUsd: 2.5 });
    expect(settled.statusCode, settled.body).toBe(200);
    const now = await decide(key, { tool: 'kb.articles.search', args: {}, estimate: { usd: 5 } });
    expect(now.json()).toMatchObject({ effect: 'allow', budget: { remaining: { usd: 2.5 } } });
    const events = await auditEventsOf(t.node, budget.id);
    // 60 % crosses the 50 % threshold; the refusal announces the limit once, which covers 75 %.
    expect(events.map((e) => e.type)).toEqual(['budget.create', 'budget.alert', 'budget.exhausted']);
    expect(events[2]?.payload).toMatchObject({ used: '$6.00', asked: '$5.00', percent: 100 });
  });
});
