import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CRITERIA } from '../../src/trust/criteria.js';
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
 * Promotion by evidence, with a clock the test moves by days: the daily sweep promotes an agent
 * whose record meets every criterion of the next tier, and only then.
 */
describe.each(DATABASES)('trust tiers: promotion by evidence (%s)', (kind) => {
  const clock = new DayClock();
  const notifier = new RecordingNotifier();
  let t: TestNode;
  let policyDir: string;
  let owner: { id: string; token: string };
  let security: { id: string; token: string };

  beforeAll(async () => {
    policyDir = await writeTrustPolicyDir();
    t = await startTestNode(kind, { policyDir, clock: clock.now, notifier });
    owner = await addHuman(t.node, ['owner'], { now: clock.now() });
    security = await addHuman(t.node, ['security'], { now: clock.now() });
  });
  afterAll(async () => {
    await t.close();
    await rm(policyDir, { recursive: true, force: true });
  });

  /** A sandbox agent "created" at the clock's current time. */
  async function sandboxAgent(name: string) {
    const seeded = await seedAgent(t.node, { name, tier: 'sandbox', ownerId: owner.id });
    await t.node.storage.db
      .updateTable('agents')
      .set({ created_at: clock.now() })
      .where('id', '=', seeded.agent.id)
      .execute();
    return seeded;
  }

  const crmUpdate = async (key: string) =>
    (await request(t.node, 'POST', '/v1/decide', key, { tool: 'crm.update', args: {} })).json().effect;

  it('promotes after the window, once, with its evidence audited, and the decide path sees the tier at once', async () => {
    await putCriteria(t.node, t.adminToken, smallCriteria());
    const { agent, key } = await sandboxAgent('promoted-after-window');
    await act(t.node, key, 5);
    expect(await crmUpdate(key)).toBe('deny');

    clock.advanceDays(10);
    await t.node.sweepTrust();
    expect(await tierOf(t.node, agent.id)).toBe('sandbox');
    const early = await standing(t.node, security.token, agent.id);
    expect(early).toMatchObject({ tier: 'sandbox', nextTier: 'monitored', eligible: false });
    expect(criterion(early, 'days_in_tier')).toMatchObject({
      met: false,
      actual: expect.stringMatching(/^10 days/),
    });
    expect(criterion(early, 'days_in_tier').needs).toMatch(/^20 more days/);
    expect(criterion(early, 'successful_actions')).toMatchObject({
      met: true,
      actual: '5 successful actions',
    });
    expect(criterion(early, 'within_budget')).toMatchObject({ met: true });

    clock.advanceDays(21);
    expect(await t.node.sweepTrust()).toBeGreaterThanOrEqual(1);
    expect(await tierOf(t.node, agent.id)).toBe('monitored');
    const promotions = await trustEvents(t.node, agent.id, 'agent.trust_promote');
    expect(promotions).toHaveLength(1);
    expect(promotions[0]?.actor).toEqual({ type: 'system', id: 'trust' });
    expect(promotions[0]?.payload).toMatchObject({
      from: 'sandbox',
      to: 'monitored',
      trigger: 'evidence',
      evidence: { successes: 5, failures: 0, daysInTier: 31, criticalIncidents: 0 },
    });
    const told = notifier.sent.filter((n) => n.type === 'agent.trust_promote' && n.subject.id === agent.id);
    expect(told.map((n) => n.recipient.humanId)).toEqual([owner.id]);
    // The agent.changed signal dropped the cached agent: the next call is decided as monitored.
    await expect.poll(() => crmUpdate(key)).toBe('allow');

    // Another sweep the same day, or the next day, does not promote again: trusted needs 30 days.
    await t.node.sweepTrust();
    clock.advanceDays(1);
    await t.node.sweepTrust();
    expect(await trustEvents(t.node, agent.id, 'agent.trust_promote')).toHaveLength(1);
    const after = await standing(t.node, owner.token, agent.id);
    expect(after).toMatchObject({ tier: 'monitored', nextTier: 'trusted', eligible: false });
    expect(criterion(after, 'days_in_tier').actual).toMatch(/^1 days/);
    expect(criterion(after, 'successful_actions').actual).toBe('0 successful actions');
  });

  it('does not promote an agent with one critical incident in its tier; a major one does not block', async () => {
    // Demotion off: the incident stays in the window instead of restarting it.
    await putCriteria(t.node, t.adminToken, smallCriteria({ demotion: 'off' }));
    const critical = await sandboxAgent('one-critical-incident');
    const major = await sandboxAgent('one-major-incident');
    for (const [seeded, severity] of [
      [critical, 'critical'],
      [major, 'major'],
    ] as const) {
      await act(t.node, seeded.key, 5);
      const reported = await request(t.node, 'POST', '/v1/incidents', security.token, {
        agentId: seeded.agent.id,
        severity,
        summary: 'sent a customer record to the wrong ticket',
      });
      expect(reported.statusCode, reported.body).toBe(201);
      expect(reported.json().demotion).toBeNull();
    }
    clock.advanceDays(31);
    await t.node.sweepTrust();
    expect(await tierOf(t.node, critical.agent.id)).toBe('sandbox');
    expect(await tierOf(t.node, major.agent.id)).toBe('monitored');
    const shown = await standing(t.node, security.token, critical.agent.id);
    expect(criterion(shown, 'critical_incidents')).toMatchObject({
      met: false,
      actual: '1 critical incidents',
      required: 'at most 0 critical incidents in the tier',
    });
    expect(shown.criteria.filter((c) => !c.met).map((c) => c.name)).toEqual(['critical_incidents']);
  });

  it('restarts the time in the tier of a sandbox agent on a critical incident when demotion is on', async () => {
    await putCriteria(t.node, t.adminToken, smallCriteria());
    const { agent, key } = await sandboxAgent('restarted-in-sandbox');
    await act(t.node, key, 5);
    clock.advanceDays(20);
    const reported = await request(t.node, 'POST', '/v1/incidents', security.token, {
      agentId: agent.id,
      severity: 'critical',
      summary: 'leaked an API key into a ticket',
    });
    expect(reported.json().demotion).toEqual({ from: 'sandbox', to: 'sandbox' });
    clock.advanceDays(11);
    await t.node.sweepTrust();
    expect(await tierOf(t.node, agent.id)).toBe('sandbox');
    const shown = await standing(t.node, owner.token, agent.id);
    expect(criterion(shown, 'days_in_tier').actual).toMatch(/^11 days/);
    // The evidence before the incident is void: the window starts at it.
    expect(shown.evidence).toMatchObject({ successes: 0, criticalIncidents: 1 });
  });

  it('does not promote with too few successful actions or too many failures, and says what is missing', async () => {
    await putCriteria(t.node, t.adminToken, smallCriteria());
    const few = await sandboxAgent('too-few-actions');
    const failing = await sandboxAgent('too-many-failures');
    await act(t.node, few.key, 4);
    await act(t.node, failing.key, 5);
    await act(t.node, failing.key, 2, 'failed');
    clock.advanceDays(31);
    await t.node.sweepTrust();
    expect(await tierOf(t.node, few.agent.id)).toBe('sandbox');
    expect(await tierOf(t.node, failing.agent.id)).toBe('sandbox');
    const fewShown = await standing(t.node, owner.token, few.agent.id);
    expect(criterion(fewShown, 'successful_actions')).toMatchObject({
      met: false,
      actual: '4 successful actions',
      needs: '1 more successful actions',
    });
    const failingShown = await standing(t.node, owner.token, failing.agent.id);
    expect(criterion(failingShown, 'failure_rate')).toMatchObject({
      met: false,
      actual: '28.57% (0 denied, 0 rejected, 2 failed of 7)',
      // 2 / (7 + n) < 20 %  <=>  n > 3
      needs: '4 more successful actions without a failure',
    });
    expect(criterion(failingShown, 'successful_actions').met).toBe(true);

    await act(t.node, failing.key, 4);
    clock.advanceDays(1);
    await t.node.sweepTrust();
    expect(await tierOf(t.node, failing.agent.id)).toBe('monitored');
  });

  it("applies the seeds' defaults: 100 successful actions below 2 % failures to become monitored", async () => {
    await putCriteria(t.node, t.adminToken, { ...DEFAULT_CRITERIA, promotion: 'automatic' });
    const { agent, key } = await sandboxAgent('default-criteria');
    await act(t.node, key, 99);
    await act(t.node, key, 2, 'failed');
    clock.advanceDays(31);
    await t.node.sweepTrust();
    expect(await tierOf(t.node, agent.id)).toBe('sandbox');
    const shown = await standing(t.node, owner.token, agent.id);
    expect(criterion(shown, 'successful_actions')).toMatchObject({
      met: false,
      needs: '1 more successful actions',
    });
    expect(criterion(shown, 'failure_rate')).toMatchObject({
      met: true,
      actual: expect.stringMatching(/^1\.98% /),
    });

    await act(t.node, key, 1);
    clock.advanceDays(1);
    await t.node.sweepTrust();
    expect(await tierOf(t.node, agent.id)).toBe('monitored');
    const promoted = await trustEvents(t.node, agent.id, 'agent.trust_promote');
    expect(promoted[0]?.payload).toMatchObject({ evidence: { successes: 100, failures: 2, activeDays: 2 } });
  });
});
