import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CRITERIA } from '../../src/trust/criteria.js';
import { request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { createBudget, decide, eventTypes, ManualClock, reportOutcome } from './budget-fixtures.js';

const SEARCH = { tool: 'kb.articles.search', args: {} };

describe.each(DATABASES)('budget windows, settlement and stale reservations (%s)', (db) => {
  let t: TestNode;
  // 2026-03-28 22:30 UTC is 23:30 in Berlin, half an hour before a day that is only 23 hours long.
  const clock = new ManualClock(Date.parse('2026-03-28T22:30:00Z'));

  beforeAll(async () => {
    t = await startTestNode(db, {
      clock: clock.now,
      settings: { reservationTimeoutSeconds: 60, budgetSweepIntervalMs: 3_600_000 },
    });
    await t.node.storage.db
      .updateTable('tenants')
      .set({ time_zone: 'Europe/Berlin' })
      .where('id', '=', t.node.bootstrap.tenant.id)
      .execute();
    await t.node.signals.publish({ type: 'budgets.changed', tenantId: t.node.bootstrap.tenant.id });
    // Budgets alone here: the demotion an overrun causes is tested in trust/demotion.test.ts.
    const off = { ...DEFAULT_CRITERIA, demotion: 'off' };
    expect((await request(t.node, 'PUT', '/v1/trust/criteria', t.adminToken, off)).statusCode).toBe(200);
  });
  afterAll(() => t.close());

  it("rolls a daily budget over at midnight in the tenant's time zone, not UTC", async () => {
    const { agent, key } = await seedAgent(t.node, { roles: ['support-assistant'] });
    await createBudget(t.node, t.adminToken, {
      scope: 'agent',
      agentId: agent.id,
      period: 'day',
      unit: 'calls',
      limit: 2,
    });
    clock.set(Date.parse('2026-03-28T22:30:00Z'));
    expect((await decide(t.node, key, SEARCH)).json().effect).toBe('allow');
    expect((await decide(t.node, key, SEARCH)).json().effect).toBe('allow');
    const third = (await decide(t.node, key, SEARCH)).json();
    expect(third).toMatchObject({ effect: 'deny', code: 'budget_exceeded' });
    expect(third.reason).toContain('until 2026-03-28T23:00:00.000Z');
    // Midnight in Berlin (23:00 UTC): a new window with the full budget.
    clock.set(Date.parse('2026-03-28T23:00:00Z'));
    const next = (await decide(t.node, key, SEARCH)).json();
    expect(next).toMatchObject({ effect: 'allow', budget: { remaining: { calls: 1 } } });
    // That day ends at 22:00 UTC (summer time starts): 23 hours later, not 24.
    clock.set(Date.parse('2026-03-29T21:59:59Z'));
    expect((await decide(t.node, key, SEARCH)).json().effect).toBe('allow');
    expect((await decide(t.node, key, SEARCH)).json().code).toBe('budget_exceeded');
    clock.set(Date.parse('2026-03-29T22:00:00Z'));
    expect((await decide(t.node, key, SEARCH)).json().effect).toBe('allow');
  });

  it('refunds the unused part of a reservation when the outcome costs less than estimated', async () => {
    const { agent, key } = await seedAgent(t.node, { roles: ['support-assistant'] });
    await createBudget(t.node, t.adminToken, {
      scope: 'agent',
      agentId: agent.id,
      period: 'month',
      unit: 'usd',
      limit: 1,
    });
    const held = (await decide(t.node, key, { ...SEARCH, estimate: { usd: 0.9 } })).json();
    expect(held.budget.remaining.usd).toBeCloseTo(0.1, 6);
    expect(held.budget.reservation.id).toMatch(/^rsv_/);
    expect((await decide(t.node, key, { ...SEARCH, estimate: { usd: 0.2 } })).json().code).toBe(
      'budget_exceeded',
    );
    const settled = await reportOutcome(t.node, key, held.decisionId, { status: 'succeeded', costUsd: 0.3 });
    expect(settled.statusCode, settled.body).toBe(200);
    const after = (await decide(t.node, key, { ...SEARCH, estimate: { usd: 0.7 } })).json();
    expect(after).toMatchObject({ effect: 'allow', budget: { remaining: { usd: 0 } } });
    const reservation = await t.node.storage.db
      .selectFrom('budget_reservations')
      .selectAll()
      .where('id', '=', held.budget.reservation.id)
      .executeTakeFirstOrThrow();
    expect(reservation).toMatchObject({ status: 'settled', flagged: 0 });
  });

  it('charges an outcome that costs more than estimated in full, so the next call sees it', async () => {
    const { agent, key } = await seedAgent(t.node, { roles: ['support-assistant'] });
    await createBudget(t.node, t.adminToken, {
      scope: 'agent',
      agentId: agent.id,
      period: 'month',
      unit: 'usd',
      limit: 1,
    });
    const held = (await decide(t.node, key, { ...SEARCH, estimate: { usd: 0.1 } })).json();
    await reportOutcome(t.node, key, held.decisionId, { status: 'succeeded', costUsd: 1.25 });
    const next = (await decide(t.node, key, SEARCH)).json();
    expect(next.code).toBe('budget_exceeded');
    expect(next.reason).toContain('$0.00 left of $1.00');
  });

  it('settles a stale reservation at its estimate, flags it, and corrects it when the outcome comes late', async () => {
    const { agent, key } = await seedAgent(t.node, { roles: ['support-assistant'] });
    const budgetId = await createBudget(t.node, t.adminToken, {
      scope: 'agent',
      agentId: agent.id,
      period: 'month',
      unit: 'usd',
      limit: 5,
    });
    const held = (await decide(t.node, key, { ...SEARCH, estimate: { usd: 2 } })).json();
    clock.advance(61_000);
    const sweeps = await request(t.node, 'GET', `/v1/budgets/${budgetId}`, t.adminToken);
    expect(sweeps.json().counters[0]).toMatchObject({ reserved: 2, spent: 0 });
    await t.node.sweepReservations();
    // A second sweep (another node) finds nothing left to do.
    expect(await t.node.sweepReservations()).toBe(0);
    const shown = (await request(t.node, 'GET', `/v1/budgets/${budgetId}`, t.adminToken)).json();
    expect(shown.counters[0]).toMatchObject({ reserved: 0, spent: 2, used: 2 });
    const row = await t.node.storage.db
      .selectFrom('budget_reservations')
      .selectAll()
      .where('id', '=', held.budget.reservation.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'expired', flagged: 1 });
    expect(await eventTypes(t.node, held.budget.reservation.id)).toEqual(['budget.reservation_expire']);
    await reportOutcome(t.node, key, held.decisionId, { status: 'succeeded', costUsd: 0.5 });
    const corrected = (await request(t.node, 'GET', `/v1/budgets/${budgetId}`, t.adminToken)).json();
    expect(corrected.counters[0]).toMatchObject({ reserved: 0, spent: 0.5 });
  });
});
