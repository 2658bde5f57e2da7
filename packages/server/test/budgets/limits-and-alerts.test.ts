import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingNotifier } from '../approvals/approvals-fixtures.js';
import { auditEventsOf, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { createBudget, decide, eventTypes } from './budget-fixtures.js';

const SEARCH = { tool: 'kb.articles.search', args: {} };

/** Polls `check` until it answers true, for effects that happen after the answer (notices, suspension). */
async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.each(DATABASES)('budget limits, alerts and their effects (%s)', (db) => {
  let t: TestNode;
  const notifier = new RecordingNotifier();
  const effect = async (key: string, payload: object) => {
    const res = await decide(t.node, key, payload);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  beforeAll(async () => {
    t = await startTestNode(db, { notifier });
  });
  afterAll(() => t.close());

  it('lets a soft budget (onLimit alert) admit past its limit and announce the limit once', async () => {
    const { agent, key } = await seedAgent(t.node);
    const id = await createBudget(t.node, t.adminToken, {
      scope: 'agent',
      agentId: agent.id,
      period: 'day',
      unit: 'usd',
      limit: 1,
      onLimit: 'alert',
    });
    expect((await effect(key, { ...SEARCH, estimate: { usd: 0.6 } })).effect).toBe('allow');
    const past = await effect(key, { ...SEARCH, estimate: { usd: 0.6 } });
    expect(past).toMatchObject({ effect: 'allow', budget: { remaining: { usd: 0 } } });
    expect(past.budget.warnings[0]).toMatchObject({ budgetId: id, percent: 100, used: 1.2 });
    expect(past.budget.warnings[0].message).not.toContain('denied');
    expect((await effect(key, { ...SEARCH, estimate: { usd: 0.6 } })).effect).toBe('allow');
    expect(await eventTypes(t.node, id)).toEqual(['budget.create', 'budget.alert', 'budget.exhausted']);
    const [exhausted] = (await auditEventsOf(t.node, id)).filter((e) => e.type === 'budget.exhausted');
    expect(exhausted?.payload).toMatchObject({
      onLimit: 'alert',
      used: '$1.20',
      limit: '$1.00',
      percent: 100,
    });
  });

  it('refuses the call that would pass a suspending limit, records an incident and suspends the agent', async () => {
    const { agent, key } = await seedAgent(t.node);
    const id = await createBudget(t.node, t.adminToken, {
      scope: 'agent',
      agentId: agent.id,
      period: 'day',
      unit: 'usd',
      limit: 1,
      suspendAgent: true,
    });
    expect((await effect(key, { ...SEARCH, estimate: { usd: 0.6 } })).effect).toBe('allow');
    const refused = await effect(key, { ...SEARCH, estimate: { usd: 0.6 } });
    expect(refused).toMatchObject({ effect: 'deny', code: 'budget_exceeded' });
    const incidents = await request(t.node, 'GET', `/v1/incidents?agentId=${agent.id}`, t.adminToken);
    expect(incidents.statusCode, incidents.body).toBe(200);
    const listed = incidents.json().incidents as {
      kind: string;
      decisionId: string;
      summary: string;
      detail: Record<string, unknown>;
    }[];
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      kind: 'budget_exceeded',
      decisionId: refused.decisionId,
      detail: { budgetId: id, limit: '$1.00', used: '$0.60', accountable: { agent: agent.id } },
    });
    expect(listed[0]?.summary).toContain('suspended');
    await eventually(async () => {
      const res = await request(t.node, 'GET', `/v1/agents/${agent.id}`, t.adminToken);
      return res.json().agent.status === 'suspended';
    });
    expect(await effect(key, SEARCH)).toMatchObject({ effect: 'deny', code: 'agent_suspended' });
    const suspensions = await t.node.storage.db
      .selectFrom('audit_events')
      .select(['type', 'actor_id'])
      .where('subject_id', '=', agent.id)
      .where('type', '=', 'agent.suspend')
      .execute();
    expect(suspensions).toEqual([{ type: 'agent.suspend', actor_id: 'budgets' }]);
  });

  it('announces custom thresholds once each, then the limit once', async () => {
    const { agent, key } = await seedAgent(t.node);
    const id = await createBudget(t.node, t.adminToken, {
      scope: 'agent',
      agentId: agent.id,
      period: 'day',
      unit: 'calls',
      limit: 4,
      thresholds: [50, 25],
    });
    const shown = (await request(t.node, 'GET', `/v1/budgets/${id}`, t.adminToken)).json();
    expect(shown.budget.thresholds).toEqual([25, 50]);
    for (let i = 0; i < 4; i++) expect((await effect(key, SEARCH)).effect).toBe('allow');
    expect((await effect(key, SEARCH)).code).toBe('budget_exceeded');
    expect((await effect(key, SEARCH)).code).toBe('budget_exceeded');
    const events = (await auditEventsOf(t.node, id)).filter((e) => e.type !== 'budget.create');
    expect(events.map((e) => [e.type, e.payload?.percent])).toEqual([
      ['budget.alert', 25],
      ['budget.alert', 50],
      ['budget.exhausted', 100],
    ]);
  });

  it('announces each threshold exactly once when 100 calls race on one node', async () => {
    const { agent, key } = await seedAgent(t.node);
    const id = await createBudget(t.node, t.adminToken, {
      scope: 'agent',
      agentId: agent.id,
      period: 'day',
      unit: 'usd',
      limit: 10,
    });
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        effect(key, { tool: 'kb.articles.search', args: { query: `q${i}` }, estimate: { usd: 0.1 } }),
      ),
    );
    // $0.10 × 100 is exactly $10: everything fits, nothing more would.
    expect(answers.filter((a) => a.effect === 'allow')).toHaveLength(100);
    expect((await effect(key, { ...SEARCH, estimate: { usd: 0.01 } })).code).toBe('budget_exceeded');
    const events = await auditEventsOf(t.node, id);
    const alerts = events.filter((e) => e.type === 'budget.alert').map((e) => e.payload?.percent);
    expect(alerts.sort()).toEqual([50, 75, 90]);
    expect(events.filter((e) => e.type === 'budget.exhausted')).toHaveLength(1);
    const counters = (await request(t.node, 'GET', `/v1/budgets/${id}`, t.adminToken)).json().counters;
    expect(counters).toMatchObject([{ counter: agent.id, used: 10, reserved: 10, spent: 0, percent: 100 }]);
  });

  it("tells the agent's owner about each threshold and the limit", async () => {
    const { agent, key } = await seedAgent(t.node);
    const id = await createBudget(t.node, t.adminToken, {
      scope: 'agent',
      agentId: agent.id,
      period: 'day',
      unit: 'calls',
      limit: 2,
      thresholds: [50],
    });
    expect((await effect(key, SEARCH)).effect).toBe('allow');
    expect((await effect(key, SEARCH)).effect).toBe('allow');
    const about = () => notifier.sent.filter((n) => n.subject.type === 'budget' && n.subject.id === id);
    await eventually(() => about().length >= 2);
    const sent = about();
    expect(sent.map((n) => [n.type, n.recipient.humanId, n.data.percent])).toEqual([
      ['budget.alert', agent.ownerId, 50],
      ['budget.exhausted', agent.ownerId, 100],
    ]);
    expect(sent[1]?.summary).toContain('reached its limit');
    expect(sent[1]?.summary).toContain(agent.name);
    expect(sent[1]?.data).toMatchObject({
      agentId: agent.id,
      unit: 'calls',
      used: '2 calls',
      limit: '2 calls',
    });
  });
});
