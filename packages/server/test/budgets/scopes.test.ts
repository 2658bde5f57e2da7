import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WardenNode } from '../../src/main.js';
import { request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { createBudget, decide, ManualClock, reportOutcome } from './budget-fixtures.js';

/** Allowed for the support assistant by the example policies. */
const SEARCH = { tool: 'kb.articles.search', args: {} };
/** Denied: the support assistant has no grant for it. */
const DENIED = { tool: 'github.repos.delete', args: { repo: 'acme/x' } };
/** A review: refunds over $500 wait for a support lead. */
const REVIEW = { tool: 'payments.refund', args: { amount: 600 } };

interface CounterJson {
  budget: { id: string; name: string; unit: string; limit: number; source: string };
  counter: string;
  windowStart: string | null;
  windowEnd: string | null;
  used: number;
  reserved: number;
  spent: number;
  remaining: number;
}

async function agentBudgets(node: WardenNode, token: string, agentId: string): Promise<CounterJson[]> {
  const res = await request(node, 'GET', `/v1/agents/${agentId}/budgets`, token);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { budgets: CounterJson[] }).budgets;
}

async function budgetCounters(node: WardenNode, token: string, budgetId: string): Promise<CounterJson[]> {
  const res = await request(node, 'GET', `/v1/budgets/${budgetId}`, token);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { counters: CounterJson[] }).counters;
}

async function removeBudget(node: WardenNode, token: string, id: string): Promise<void> {
  const res = await request(node, 'DELETE', `/v1/budgets/${id}`, token);
  expect(res.statusCode, res.body).toBe(200);
}

describe.each(DATABASES)('which budgets apply, and what they count (%s)', (db) => {
  let t: TestNode;
  // A Tuesday, mid-morning UTC (the tenant's time zone): today's window ends at midnight UTC.
  const clock = new ManualClock(Date.parse('2026-05-12T10:00:00Z'));
  const effect = async (key: string, payload: object) => {
    const res = await decide(t.node, key, payload);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  beforeAll(async () => {
    t = await startTestNode(db, { clock: clock.now, settings: { budgetSweepIntervalMs: 3_600_000 } });
  });
  afterAll(() => t.close());

  it('governs a sandbox agent by the built-in tier default ($100 a day) when no budgets file is given', async () => {
    const listed = (await request(t.node, 'GET', '/v1/budgets', t.adminToken)).json().budgets as {
      name: string;
      tier: string;
      limit: number;
      source: string;
      unit: string;
      period: string;
    }[];
    expect(listed.map((b) => [b.name, b.tier, b.unit, b.period, b.limit, b.source])).toEqual([
      ['monitored-daily-usd', 'monitored', 'usd', 'day', 500, 'config'],
      ['sandbox-daily-usd', 'sandbox', 'usd', 'day', 100, 'config'],
      ['trusted-daily-usd', 'trusted', 'usd', 'day', 1000, 'config'],
    ]);
    const { agent, key } = await seedAgent(t.node, { tier: 'sandbox', environments: ['staging'] });
    const before = await agentBudgets(t.node, t.adminToken, agent.id);
    expect(before.map((c) => [c.budget.name, c.counter, c.remaining])).toEqual([
      ['sandbox-daily-usd', agent.id, 100],
    ]);
    expect(await effect(key, { ...SEARCH, estimate: { usd: 60 } })).toMatchObject({
      effect: 'allow',
      budget: { remaining: { usd: 40 } },
    });
    const refused = await effect(key, { ...SEARCH, estimate: { usd: 50 } });
    expect(refused).toMatchObject({ effect: 'deny', code: 'budget_exceeded' });
    expect(refused.reason).toContain('sandbox-daily-usd');
    expect(refused.reason).toContain('$40.00 left of $100.00');
    expect(refused.reason).toContain('this call needs $50.00');
  });

  it('lets a budget naming the agent override its tier default of the same unit and period', async () => {
    const { agent, key } = await seedAgent(t.node, { tier: 'sandbox', environments: ['staging'] });
    const id = await createBudget(t.node, t.adminToken, {
      scope: 'agent',
      agentId: agent.id,
      period: 'day',
      unit: 'usd',
      limit: 200,
    });
    const governing = await agentBudgets(t.node, t.adminToken, agent.id);
    expect(governing.map((c) => c.budget.id)).toEqual([id]);
    // $150 is more than the sandbox default allows; only the override counts.
    expect(await effect(key, { ...SEARCH, estimate: { usd: 150 } })).toMatchObject({
      effect: 'allow',
      budget: { remaining: { usd: 50 } },
    });
    const refused = await effect(key, { ...SEARCH, estimate: { usd: 60 } });
    expect(refused).toMatchObject({ effect: 'deny', code: 'budget_exceeded' });
    expect(refused.reason).toContain('$50.00 left of $200.00');
    const defaults = (await request(t.node, 'GET', '/v1/budgets', t.adminToken)).json().budgets as {
      id: string;
      name: string;
    }[];
    const sandboxDefault = defaults.find((b) => b.name === 'sandbox-daily-usd')?.id ?? '';
    const counters = await budgetCounters(t.node, t.adminToken, sandboxDefault);
    expect(counters.filter((c) => c.counter === agent.id)).toEqual([]);
  });

  it('lets a tier budget override the one for every agent', async () => {
    const sandbox = await seedAgent(t.node, { tier: 'sandbox', environments: ['staging'] });
    const monitored = await seedAgent(t.node, { tier: 'monitored' });
    const everyAgent = await createBudget(t.node, t.adminToken, {
      scope: 'agent',
      period: 'hour',
      unit: 'calls',
      limit: 1,
    });
    const sandboxTier = await createBudget(t.node, t.adminToken, {
      scope: 'agent',
      tier: 'sandbox',
      period: 'hour',
      unit: 'calls',
      limit: 3,
    });
    try {
      for (let i = 0; i < 3; i++) expect((await effect(sandbox.key, SEARCH)).effect).toBe('allow');
      const fourth = await effect(sandbox.key, SEARCH);
      expect(fourth).toMatchObject({ effect: 'deny', code: 'budget_exceeded' });
      expect(fourth.reason).toContain('0 calls left of 3 calls');
      // The monitored agent has no tier budget for calls: the every-agent one governs it.
      expect((await effect(monitored.key, SEARCH)).effect).toBe('allow');
      expect(await effect(monitored.key, SEARCH)).toMatchObject({ effect: 'deny', code: 'budget_exceeded' });
      expect(
        (await budgetCounters(t.node, t.adminToken, everyAgent)).map((c) => [c.counter, c.used]),
      ).toEqual([[monitored.agent.id, 1]]);
      expect(
        (await budgetCounters(t.node, t.adminToken, sandboxTier)).map((c) => [c.counter, c.used]),
      ).toEqual([[sandbox.agent.id, 3]]);
    } finally {
      await removeBudget(t.node, t.adminToken, everyAgent);
      await removeBudget(t.node, t.adminToken, sandboxTier);
    }
  });

  it('shares one counter of a role budget among the agents holding the role', async () => {
    const role = `billing-${Math.random().toString(36).slice(2, 8)}`;
    const a = await seedAgent(t.node, { roles: ['support-assistant', role] });
    const b = await seedAgent(t.node, { roles: ['support-assistant', role] });
    const outsider = await seedAgent(t.node, { roles: ['support-assistant'] });
    const id = await createBudget(t.node, t.adminToken, {
      scope: 'role',
      role,
      period: 'day',
      unit: 'calls',
      limit: 3,
    });
    expect((await effect(a.key, SEARCH)).effect).toBe('allow');
    expect((await effect(a.key, SEARCH)).effect).toBe('allow');
    expect(await effect(b.key, SEARCH)).toMatchObject({
      effect: 'allow',
      budget: { remaining: { calls: 0 } },
    });
    expect(await effect(b.key, SEARCH)).toMatchObject({ effect: 'deny', code: 'budget_exceeded' });
    expect(await effect(a.key, SEARCH)).toMatchObject({ effect: 'deny', code: 'budget_exceeded' });
    expect((await effect(outsider.key, SEARCH)).effect).toBe('allow');
    expect((await budgetCounters(t.node, t.adminToken, id)).map((c) => [c.counter, c.used])).toEqual([
      [`role:${role}`, 3],
    ]);
    const seenByB = await agentBudgets(t.node, t.adminToken, b.agent.id);
    expect(seenByB.find((c) => c.budget.id === id)).toMatchObject({ counter: `role:${role}`, used: 3 });
  });

  it("counts every agent's calls on a tenant budget", async () => {
    const a = await seedAgent(t.node, { tier: 'monitored' });
    const b = await seedAgent(t.node, { tier: 'trusted' });
    const id = await createBudget(t.node, t.adminToken, {
      scope: 'tenant',
      period: 'day',
      unit: 'calls',
      limit: 3,
    });
    try {
      expect((await effect(a.key, SEARCH)).effect).toBe('allow');
      expect((await effect(b.key, SEARCH)).effect).toBe('allow');
      expect((await effect(a.key, SEARCH)).effect).toBe('allow');
      const refused = await effect(b.key, SEARCH);
      expect(refused).toMatchObject({ effect: 'deny', code: 'budget_exceeded' });
      expect(refused.reason).toContain(`tenant calls budget`);
      expect((await budgetCounters(t.node, t.adminToken, id)).map((c) => [c.counter, c.used])).toEqual([
        [t.node.bootstrap.tenant.id, 3],
      ]);
    } finally {
      await removeBudget(t.node, t.adminToken, id);
    }
    // Gone with the budget: the next call is admitted again.
    expect((await effect(b.key, SEARCH)).effect).toBe('allow');
  });

  it('caps each task on its own with a task budget, charges no call outside a task, and never rolls over', async () => {
    const { agent, key } = await seedAgent(t.node);
    const id = await createBudget(t.node, t.adminToken, {
      scope: 'task',
      agentId: agent.id,
      period: 'task',
      unit: 'calls',
      limit: 2,
    });
    const one = `T-${agent.id.slice(-8)}-1`;
    const two = `T-${agent.id.slice(-8)}-2`;
    const inTask = (taskId: string) => ({ ...SEARCH, context: { taskId } });
    expect((await effect(key, inTask(one))).effect).toBe('allow');
    expect(await effect(key, inTask(one))).toMatchObject({
      effect: 'allow',
      budget: { remaining: { calls: 0 } },
    });
    const refused = await effect(key, inTask(one));
    expect(refused).toMatchObject({ effect: 'deny', code: 'budget_exceeded' });
    expect(refused.reason).toContain('for this task');
    // Outside any task the task budget does not apply.
    for (let i = 0; i < 3; i++) {
      const free = await effect(key, SEARCH);
      expect(free.effect).toBe('allow');
      expect(free.budget.remaining.calls).toBeUndefined();
    }
    expect(await effect(key, inTask(two))).toMatchObject({
      effect: 'allow',
      budget: { remaining: { calls: 1 } },
    });
    const counters = await budgetCounters(t.node, t.adminToken, id);
    expect(counters.map((c) => [c.counter, c.used, c.windowStart, c.windowEnd])).toEqual([
      [`task:${one}`, 2, null, null],
      [`task:${two}`, 1, null, null],
    ]);
    // Forty days later the task's budget is still spent.
    clock.advance(40 * 86_400_000);
    expect(await effect(key, inTask(one))).toMatchObject({ effect: 'deny', code: 'budget_exceeded' });
    expect((await effect(key, inTask(two))).effect).toBe('allow');
    expect((await effect(key, inTask(two))).code).toBe('budget_exceeded');
  });

  it('spends a call only on an allowed call: a deny or a review spends nothing, and a review finds no room once it is used up', async () => {
    const { agent, key } = await seedAgent(t.node);
    const id = await createBudget(t.node, t.adminToken, {
      scope: 'agent',
      agentId: agent.id,
      period: 'day',
      unit: 'calls',
      limit: 2,
    });
    const calls = async () =>
      (await agentBudgets(t.node, t.adminToken, agent.id)).find((c) => c.budget.id === id)?.used;
    const approvals = async () =>
      (
        await t.node.storage.db
          .selectFrom('approval_requests')
          .select('id')
          .where('agent_id', '=', agent.id)
          .execute()
      ).length;
    expect(await effect(key, DENIED)).toMatchObject({ effect: 'deny', code: 'no_grant' });
    const review = await effect(key, REVIEW);
    expect(review.effect).toBe('review');
    expect(review.approvalRequest?.id).toMatch(/^apr_/);
    expect(review.budget.remaining.calls).toBe(2);
    expect(await calls()).toBe(0);
    expect(await approvals()).toBe(1);
    expect((await effect(key, SEARCH)).effect).toBe('allow');
    expect((await effect(key, SEARCH)).effect).toBe('allow');
    expect(await calls()).toBe(2);
    const refusedReview = await effect(key, REVIEW);
    expect(refusedReview).toMatchObject({ effect: 'deny', code: 'budget_exceeded', approvalRequest: null });
    expect(refusedReview.reason).toContain('0 calls left of 2 calls');
    expect(await approvals()).toBe(1);
    const row = await t.node.storage.db
      .selectFrom('decisions')
      .select(['effect', 'code'])
      .where('id', '=', refusedReview.decisionId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ effect: 'deny', code: 'budget_exceeded' });
  });

  it('reserves token and record estimates in their own units and settles them on the outcome', async () => {
    const { agent, key } = await seedAgent(t.node);
    const tokens = await createBudget(t.node, t.adminToken, {
      scope: 'agent',
      agentId: agent.id,
      period: 'day',
      unit: 'tokens',
      limit: 1000,
    });
    const records = await createBudget(t.node, t.adminToken, {
      scope: 'agent',
      agentId: agent.id,
      period: 'day',
      unit: 'records',
      limit: 100,
    });
    const held = await effect(key, { ...SEARCH, estimate: { tokens: 600, records: 30 } });
    expect(held).toMatchObject({
      effect: 'allow',
      budget: { remaining: { tokens: 400, records: 70, usd: 500 } },
    });
    expect(held.budget.reservation.id).toMatch(/^rsv_/);
    const refused = await effect(key, { ...SEARCH, estimate: { tokens: 500 } });
    expect(refused).toMatchObject({ effect: 'deny', code: 'budget_exceeded' });
    expect(refused.reason).toContain('400 tokens left of 1,000 tokens');
    const before = await agentBudgets(t.node, t.adminToken, agent.id);
    expect(before.find((c) => c.budget.id === tokens)).toMatchObject({ reserved: 600, spent: 0 });
    expect(before.find((c) => c.budget.id === records)).toMatchObject({ reserved: 30, spent: 0 });
    const settled = await reportOutcome(t.node, key, held.decisionId, {
      status: 'succeeded',
      tokens: 120,
      records: 12,
    });
    expect(settled.statusCode, settled.body).toBe(200);
    const after = await agentBudgets(t.node, t.adminToken, agent.id);
    expect(after.find((c) => c.budget.id === tokens)).toMatchObject({
      reserved: 0,
      spent: 120,
      remaining: 880,
    });
    expect(after.find((c) => c.budget.id === records)).toMatchObject({
      reserved: 0,
      spent: 12,
      remaining: 88,
    });
    expect((await effect(key, { ...SEARCH, estimate: { tokens: 500 } })).effect).toBe('allow');
  });

  it('admits a call without an estimate while there is room, and refuses it once the budget is used up', async () => {
    const { agent, key } = await seedAgent(t.node);
    await createBudget(t.node, t.adminToken, {
      scope: 'agent',
      agentId: agent.id,
      period: 'day',
      unit: 'usd',
      limit: 1,
    });
    const first = await effect(key, SEARCH);
    expect(first).toMatchObject({ effect: 'allow', budget: { remaining: { usd: 1 }, reservation: null } });
    const settled = await reportOutcome(t.node, key, first.decisionId, { status: 'succeeded', costUsd: 1 });
    expect(settled.statusCode, settled.body).toBe(200);
    const refused = await effect(key, SEARCH);
    expect(refused).toMatchObject({ effect: 'deny', code: 'budget_exceeded' });
    expect(refused.reason).toContain('$0.00 left of $1.00');
    expect(refused.reason).not.toContain('this call needs');
  });

  it('tells the agent what is left and warns it from the first threshold on', async () => {
    const { agent, key } = await seedAgent(t.node);
    const id = await createBudget(t.node, t.adminToken, {
      scope: 'agent',
      agentId: agent.id,
      period: 'day',
      unit: 'usd',
      limit: 10,
    });
    const quiet = await effect(key, { ...SEARCH, estimate: { usd: 4 } });
    expect(quiet.budget).toMatchObject({ remaining: { usd: 6 }, warnings: [] });
    const warned = await effect(key, { ...SEARCH, estimate: { usd: 1.5 } });
    const now = new Date(clock.now());
    const windowEnd = new Date(
      Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1),
    ).toISOString();
    expect(warned.budget.remaining).toEqual({ usd: 4.5 });
    expect(warned.budget.warnings).toEqual([
      {
        budgetId: id,
        name: expect.any(String),
        scope: 'agent',
        unit: 'usd',
        period: 'day',
        limit: 10,
        used: 5.5,
        remaining: 4.5,
        percent: 55,
        windowEnds: windowEnd,
        message: expect.stringContaining(`$4.50 left until ${windowEnd}`),
      },
    ]);
    expect(warned.budget.warnings[0].message).toContain('55% used');
  });
});
