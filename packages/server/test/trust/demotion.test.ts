import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrustTier } from '../../src/agents/agent.js';
import { HOUR_MS, hourStart } from '../../src/anomaly/ewma.js';
import { addUsage, monitorOn } from '../anomaly/anomaly-fixtures.js';
import { RecordingNotifier } from '../approvals/approvals-fixtures.js';
import { addHuman, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import {
  act,
  criterion,
  DayClock,
  putCriteria,
  smallCriteria,
  standing,
  tierOf,
  trustEvents,
  writeTrustPolicyDir,
} from './trust-fixtures.js';

/**
 * Demotion by one tier, at once, on each trigger: a critical incident, a hard budget overrun, a
 * circuit-breaker trip, a rejected after-the-fact review. Each leaves an incident, an audited
 * `agent.trust_demote` naming it, and a notice to the owner.
 */
describe.each(DATABASES)('trust tiers: demotion (%s)', (kind) => {
  const clock = new DayClock();
  const notifier = new RecordingNotifier();
  let t: TestNode;
  let policyDir: string;
  let owner: { id: string; token: string };
  let security: { id: string; token: string };
  let lead: { id: string; token: string };

  beforeAll(async () => {
    policyDir = await writeTrustPolicyDir();
    t = await startTestNode(kind, { policyDir, clock: clock.now, notifier });
    owner = await addHuman(t.node, ['owner'], { now: clock.now() });
    security = await addHuman(t.node, ['security'], { now: clock.now() });
    lead = await addHuman(t.node, ['approver'], { now: clock.now() });
    const group = await request(t.node, 'POST', '/v1/groups', t.adminToken, {
      name: 'support-leads',
      members: [lead.id],
    });
    expect(group.statusCode, group.body).toBe(201);
    await putCriteria(t.node, t.adminToken, smallCriteria({ promotion: 'off' }));
  });
  afterAll(async () => {
    await t.close();
    await rm(policyDir, { recursive: true, force: true });
  });

  /** An agent in `tier`, registered at the clock's time (its time in the tier starts then). */
  async function agentIn(name: string, tier: TrustTier) {
    const seeded = await seedAgent(t.node, { name, tier, ownerId: owner.id });
    await t.node.storage.db
      .updateTable('agents')
      .set({ created_at: clock.now() })
      .where('id', '=', seeded.agent.id)
      .execute();
    return seeded;
  }

  /** The one demotion of the agent, its incident, and the owner's notice. */
  async function expectDemoted(
    agentId: string,
    from: TrustTier,
    to: TrustTier,
    trigger: string,
    incidentKind: string,
  ) {
    await expect.poll(() => tierOf(t.node, agentId)).toBe(to);
    const demotions = await trustEvents(t.node, agentId, 'agent.trust_demote');
    expect(demotions).toHaveLength(1);
    expect(demotions[0]?.payload).toMatchObject({ from, to, trigger });
    const incident = await t.node.storage.db
      .selectFrom('incidents')
      .selectAll()
      .where('agent_id', '=', agentId)
      .where('kind', '=', incidentKind)
      .executeTakeFirstOrThrow();
    expect(incident.severity).toBe('critical');
    expect(demotions[0]?.payload?.evidence).toMatchObject({ incidentId: incident.id });
    const told = notifier.sent.filter((n) => n.type === 'agent.trust_demote' && n.subject.id === agentId);
    expect(told.map((n) => n.recipient.humanId)).toEqual([owner.id]);
    expect(told[0]?.data).toMatchObject({ from, to, trigger });
    const shown = await standing(t.node, owner.token, agentId);
    expect(shown.tier).toBe(to);
    expect(Date.parse(shown.tierSince)).toBe(clock.now());
  }

  it('demotes one tier at once on a critical incident a person reports, and the decide path sees it', async () => {
    const { agent, key } = await agentIn('incident-demoted', 'monitored');
    expect(
      (await request(t.node, 'POST', '/v1/decide', key, { tool: 'crm.update', args: {} })).json().effect,
    ).toBe('allow');
    const reported = await request(t.node, 'POST', '/v1/incidents', security.token, {
      agentId: agent.id,
      severity: 'critical',
      summary: 'wrote to the wrong customer account',
    });
    expect(reported.statusCode, reported.body).toBe(201);
    expect(reported.json()).toMatchObject({
      incident: { agentId: agent.id, severity: 'critical' },
      demotion: { from: 'monitored', to: 'sandbox' },
    });
    await expectDemoted(agent.id, 'monitored', 'sandbox', 'critical_incident', 'reported');
    await expect
      .poll(
        async () =>
          (await request(t.node, 'POST', '/v1/decide', key, { tool: 'crm.update', args: {} })).json().effect,
      )
      .toBe('deny');
  });

  it('demotes a trusted agent to monitored, not further, and a minor incident demotes nobody', async () => {
    const { agent } = await agentIn('trusted-one-step', 'trusted');
    const minor = await request(t.node, 'POST', '/v1/incidents', security.token, {
      agentId: agent.id,
      severity: 'minor',
      summary: 'typo in a reply',
    });
    expect(minor.json().demotion).toBeNull();
    expect(await tierOf(t.node, agent.id)).toBe('trusted');
    const critical = await request(t.node, 'POST', '/v1/incidents', security.token, {
      agentId: agent.id,
      severity: 'critical',
      summary: 'deleted a production table',
    });
    expect(critical.json().demotion).toEqual({ from: 'trusted', to: 'monitored' });
    expect(await tierOf(t.node, agent.id)).toBe('monitored');
  });

  it('demotes on a hard budget overrun: an outcome costing more than its own hard budget had left', async () => {
    const { agent, key } = await agentIn('budget-overrun', 'monitored');
    const exhausted = await agentIn('budget-exhausted', 'monitored');
    const soft = await agentIn('soft-budget', 'monitored');
    for (const [who, unit, limit, onLimit] of [
      [agent, 'usd', 1, 'deny'],
      [exhausted.agent, 'calls', 3, 'deny'],
      [soft.agent, 'calls', 3, 'alert'],
    ] as const) {
      const budget = await request(t.node, 'POST', '/v1/budgets', t.adminToken, {
        name: `${unit}-${who.name}`,
        scope: 'agent',
        agentId: who.id,
        period: 'day',
        unit,
        limit,
        onLimit,
      });
      expect(budget.statusCode, budget.body).toBe(201);
    }
    // Admitted at its estimate ($0.50 of $1.00), the call reports $1.50: the budget ran over.
    const decided = await request(t.node, 'POST', '/v1/decide', key, {
      tool: 'kb.search',
      args: {},
      estimate: { usd: 0.5 },
    });
    expect(decided.json().effect).toBe('allow');
    const outcome = await request(t.node, 'POST', `/v1/decisions/${decided.json().decisionId}/outcome`, key, {
      status: 'succeeded',
      costUsd: 1.5,
    });
    expect(outcome.statusCode, outcome.body).toBe(200);
    await expectDemoted(agent.id, 'monitored', 'sandbox', 'budget_overrun', 'budget_overrun');

    // Reaching a hard limit, or being refused at it, is the budget doing its job: no demotion, but
    // the day counts as over budget for the promotion criteria. A soft limit only alerts.
    await act(t.node, exhausted.key, 3);
    await act(t.node, soft.key, 4);
    const refused = await request(t.node, 'POST', '/v1/decide', exhausted.key, {
      tool: 'kb.search',
      args: {},
    });
    expect(refused.json()).toMatchObject({ effect: 'deny', code: 'budget_exceeded' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await tierOf(t.node, exhausted.agent.id)).toBe('monitored');
    expect(await tierOf(t.node, soft.agent.id)).toBe('monitored');
    expect(await trustEvents(t.node, exhausted.agent.id, 'agent.trust_demote')).toHaveLength(0);
    const shown = await standing(t.node, owner.token, exhausted.agent.id);
    expect(criterion(shown, 'within_budget')).toMatchObject({
      met: false,
      actual: '0% (0 of 1 active days)',
    });
  });

  it('demotes when a budget that suspends its agent reaches its limit, naming the incident it recorded', async () => {
    const { agent, key } = await agentIn('suspending-budget', 'trusted');
    const budget = await request(t.node, 'POST', '/v1/budgets', t.adminToken, {
      name: 'calls-suspending',
      scope: 'agent',
      agentId: agent.id,
      period: 'day',
      unit: 'calls',
      limit: 2,
      onLimit: 'deny',
      suspendAgent: true,
    });
    expect(budget.statusCode, budget.body).toBe(201);
    await act(t.node, key, 2);
    await expectDemoted(agent.id, 'trusted', 'monitored', 'budget_overrun', 'budget_exceeded');
    const incidents = await t.node.storage.db
      .selectFrom('incidents')
      .select('kind')
      .where('agent_id', '=', agent.id)
      .execute();
    expect(incidents.map((i) => i.kind)).toEqual(['budget_exceeded']);
  });

  it('demotes when the circuit breaker trips', async () => {
    const { agent, key } = await agentIn('breaker-tripped', 'monitored');
    // A cost baseline of $1/h over four completed hours, as the anomaly monitor folds it.
    const hour = hourStart(clock.now());
    for (let h = 4; h >= 1; h--) {
      await addUsage(t.node, agent, hour - h * HOUR_MS + 10 * 60_000, { calls: 5, costUsd: 1 });
    }
    const monitor = monitorOn(t.node, clock.now, notifier);
    await monitor.run();
    await monitor.stop();
    const decided = await request(t.node, 'POST', '/v1/decide', key, { tool: 'kb.search', args: {} });
    const outcome = await request(t.node, 'POST', `/v1/decisions/${decided.json().decisionId}/outcome`, key, {
      status: 'succeeded',
      costUsd: 2,
    });
    expect(outcome.statusCode, outcome.body).toBe(200);
    await expectDemoted(agent.id, 'monitored', 'sandbox', 'circuit_breaker', 'circuit_breaker');
  });

  it('demotes when a reviewer rejects an action reviewed after the fact; an approved one changes nothing', async () => {
    const rejected = await agentIn('review-rejected', 'monitored');
    const approved = await agentIn('review-approved', 'monitored');
    const reviews: string[] = [];
    for (const seeded of [rejected, approved]) {
      const res = await request(t.node, 'POST', '/v1/decide', seeded.key, {
        tool: 'tickets.close',
        args: { ticket: 'T-1' },
      });
      expect(res.json()).toMatchObject({ effect: 'review', approvalRequest: { mode: 'post' } });
      reviews.push(res.json().approvalRequest.id);
    }
    const deny = await request(t.node, 'POST', `/v1/approvals/${reviews[0]}/deny`, lead.token, {
      comment: 'closed without answering the customer',
    });
    expect(deny.statusCode, deny.body).toBe(200);
    const approve = await request(t.node, 'POST', `/v1/approvals/${reviews[1]}/approve`, lead.token, {});
    expect(approve.statusCode, approve.body).toBe(200);
    await expectDemoted(rejected.agent.id, 'monitored', 'sandbox', 'review_rejected', 'review_rejected');
    expect(await tierOf(t.node, approved.agent.id)).toBe('monitored');
  });

  it('demotes nobody when the tenant turned automatic demotion off', async () => {
    await putCriteria(t.node, t.adminToken, smallCriteria({ promotion: 'off', demotion: 'off' }));
    const { agent } = await agentIn('demotion-off', 'trusted');
    const reported = await request(t.node, 'POST', '/v1/incidents', security.token, {
      agentId: agent.id,
      severity: 'critical',
      summary: 'still an incident',
    });
    expect(reported.json().demotion).toBeNull();
    expect(await tierOf(t.node, agent.id)).toBe('trusted');
    expect(await trustEvents(t.node, agent.id, 'agent.trust_demote')).toHaveLength(0);
    await putCriteria(t.node, t.adminToken, smallCriteria({ promotion: 'off' }));
  });
});
