import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingNotifier } from '../approvals/approvals-fixtures.js';
import { addHuman, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import {
  act,
  DayClock,
  putCriteria,
  smallCriteria,
  standing,
  tierOf,
  trustEvents,
  writeTrustPolicyDir,
} from './trust-fixtures.js';

/**
 * In approval mode (the default) the sweep does not promote: it asks the agent's owner, then
 * security, with an approval request of kind `promotion` that carries the evidence.
 */
describe.each(DATABASES)('trust tiers: promotion by approval (%s)', (kind) => {
  const clock = new DayClock();
  const notifier = new RecordingNotifier();
  let t: TestNode;
  let policyDir: string;
  let owner: { id: string; token: string };
  let security: { id: string; token: string };

  beforeAll(async () => {
    policyDir = await writeTrustPolicyDir();
    t = await startTestNode(kind, { policyDir, clock: clock.now, notifier });
    owner = await addHuman(t.node, ['owner', 'approver'], { now: clock.now() });
    security = await addHuman(t.node, ['security'], { now: clock.now() });
    await putCriteria(t.node, t.adminToken, smallCriteria({ promotion: 'approval', reaskAfterDays: 7 }));
  });
  afterAll(async () => {
    await t.close();
    await rm(policyDir, { recursive: true, force: true });
  });

  async function eligibleAgent(name: string) {
    const seeded = await seedAgent(t.node, { name, tier: 'sandbox', ownerId: owner.id });
    await t.node.storage.db
      .updateTable('agents')
      .set({ created_at: clock.now() })
      .where('id', '=', seeded.agent.id)
      .execute();
    await act(t.node, seeded.key, 5);
    return seeded;
  }

  async function promotionRequests(agentId: string) {
    const res = await request(t.node, 'GET', `/v1/approvals?kind=promotion&agentId=${agentId}`, t.adminToken);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json().approvals as { id: string; status: string; kind: string }[]).filter(Boolean);
  }

  it('asks the owner, then security; both approving promotes the agent', async () => {
    const { agent } = await eligibleAgent('approved-promotion');
    clock.advanceDays(31);
    await t.node.sweepTrust();
    expect(await tierOf(t.node, agent.id)).toBe('sandbox');
    const [asked, ...more] = await promotionRequests(agent.id);
    expect(more).toEqual([]);
    expect(asked).toMatchObject({ kind: 'promotion', status: 'pending' });
    const id = asked?.id ?? '';
    expect((await standing(t.node, owner.token, agent.id)).pendingPromotion).toBe(id);
    const shown = await request(t.node, 'GET', `/v1/approvals/${id}`, owner.token);
    expect(shown.json().context.trust).toMatchObject({
      from: 'sandbox',
      to: 'monitored',
      evidence: { successes: 5, daysInTier: 31 },
    });
    expect(
      notifier.sent.some(
        (n) => n.type === 'approval.request' && n.subject.id === id && n.recipient.humanId === owner.id,
      ),
    ).toBe(true);

    // Security cannot skip the owner's step; the next day's sweep does not ask twice.
    const early = await request(t.node, 'POST', `/v1/approvals/${id}/approve`, security.token, {});
    expect(early.statusCode).toBe(403);
    clock.advanceDays(1);
    await t.node.sweepTrust();
    expect(await promotionRequests(agent.id)).toHaveLength(1);

    const byOwner = await request(t.node, 'POST', `/v1/approvals/${id}/approve`, owner.token, {
      comment: 'earned it',
    });
    expect(byOwner.statusCode, byOwner.body).toBe(200);
    expect(byOwner.json().status).toBe('pending');
    expect(await tierOf(t.node, agent.id)).toBe('sandbox');
    const bySecurity = await request(t.node, 'POST', `/v1/approvals/${id}/approve`, security.token, {});
    expect(bySecurity.statusCode, bySecurity.body).toBe(200);
    expect(bySecurity.json().status).toBe('approved');
    expect(await tierOf(t.node, agent.id)).toBe('monitored');
    const promoted = await trustEvents(t.node, agent.id, 'agent.trust_promote');
    expect(promoted).toHaveLength(1);
    expect(promoted[0]?.actor).toEqual({ type: 'human', id: security.id });
    expect(promoted[0]?.payload).toMatchObject({
      from: 'sandbox',
      to: 'monitored',
      trigger: 'evidence',
      evidence: { approvalId: id, successes: 5 },
    });
    expect((await standing(t.node, owner.token, agent.id)).pendingPromotion).toBeNull();
  });

  it('leaves the agent where it is when a step denies, and asks again only after reaskAfterDays', async () => {
    const { agent } = await eligibleAgent('denied-promotion');
    clock.advanceDays(31);
    await t.node.sweepTrust();
    const [asked] = await promotionRequests(agent.id);
    const denied = await request(t.node, 'POST', `/v1/approvals/${asked?.id}/deny`, owner.token, {
      comment: 'not yet: it still needs supervision',
    });
    expect(denied.statusCode, denied.body).toBe(200);
    expect(denied.json().status).toBe('denied');
    expect(await tierOf(t.node, agent.id)).toBe('sandbox');
    expect(await trustEvents(t.node, agent.id, 'agent.trust_promote')).toHaveLength(0);

    clock.advanceDays(6);
    await t.node.sweepTrust();
    expect(await promotionRequests(agent.id)).toHaveLength(1);
    clock.advanceDays(1);
    await t.node.sweepTrust();
    const requests = await promotionRequests(agent.id);
    expect(requests.map((r) => r.status).sort()).toEqual(['denied', 'pending']);
  });

  it('changes nothing when a promotion is approved after the agent moved tier meanwhile', async () => {
    const { agent } = await eligibleAgent('moved-meanwhile');
    clock.advanceDays(31);
    await t.node.sweepTrust();
    const [asked] = await promotionRequests(agent.id);
    const moved = await request(t.node, 'PATCH', `/v1/agents/${agent.id}`, t.adminToken, { tier: 'trusted' });
    expect(moved.statusCode, moved.body).toBe(200);
    for (const token of [owner.token, security.token]) {
      const res = await request(t.node, 'POST', `/v1/approvals/${asked?.id}/approve`, token, {});
      expect(res.statusCode, res.body).toBe(200);
    }
    expect(await tierOf(t.node, agent.id)).toBe('trusted');
    expect(await trustEvents(t.node, agent.id, 'agent.trust_promote')).toHaveLength(0);
    // The tier set by hand starts its time in the tier.
    expect(Date.parse((await standing(t.node, owner.token, agent.id)).tierSince)).toBe(clock.now());
  });
});
