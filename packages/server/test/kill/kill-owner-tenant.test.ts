import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGroup,
  createHuman,
  type Person,
  RecordingNotifier,
  sleep,
  waitFor,
} from '../approvals/approvals-fixtures.js';
import { request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import {
  agentStatus,
  countEvents,
  eventsOf,
  openPostReview,
  openRefund,
  search,
  statusOf,
  writeKillPolicy,
} from './kill-fixtures.js';

describe.each(DATABASES)('kill switch: an owner, the tenant (%s)', (kind) => {
  let t: TestNode;
  let policyDir: string;
  let notifier: RecordingNotifier;
  let security: Person;
  let viewer: Person;
  let lead: Person;

  beforeAll(async () => {
    policyDir = await writeKillPolicy();
    notifier = new RecordingNotifier();
    t = await startTestNode(kind, { policyDir, notifier });
    security = await createHuman(t.node, t.adminToken, ['security']);
    viewer = await createHuman(t.node, t.adminToken, ['viewer']);
    lead = await createHuman(t.node, t.adminToken, ['approver']);
    await createGroup(t.node, t.adminToken, 'leads', [lead]);
  });
  afterAll(async () => {
    await t.close();
    await rm(policyDir, { recursive: true, force: true });
  });

  const pendingPreRequests = async () =>
    (
      await t.node.storage.db
        .selectFrom('approval_requests')
        .select('id')
        .where('tenant_id', '=', t.node.bootstrap.tenant.id)
        .where('status', '=', 'pending')
        .where('mode', '=', 'pre')
        .orderBy('id')
        .execute()
    ).map((row) => row.id);

  it('suspends every active and pending agent of an owner, by id or e-mail, in one audited kill', async () => {
    for (const by of ['id', 'email'] as const) {
      const owner = await createHuman(t.node, t.adminToken, ['owner']);
      const active = await seedAgent(t.node, { ownerId: owner.id });
      const pending = await seedAgent(t.node, { ownerId: owner.id, status: 'pending', risk: 'pii' });
      const suspended = await seedAgent(t.node, { ownerId: owner.id, status: 'suspended' });
      const retired = await seedAgent(t.node, { ownerId: owner.id, status: 'retired' });
      const bystander = await seedAgent(t.node);
      const refund = await openRefund(t.node, active.key);
      const bystanders = await openRefund(t.node, bystander.key);

      const ref = by === 'id' ? owner.id : owner.email.toUpperCase();
      const res = await request(
        t.node,
        'POST',
        `/v1/kill/owners/${encodeURIComponent(ref)}`,
        security.token,
        {
          reason: 'owner account compromised',
        },
      );
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body.owner).toEqual({ id: owner.id, email: owner.email, name: expect.any(String) });
      expect(body.suspended.map((a: { id: string }) => a.id).sort()).toEqual(
        [active.agent.id, pending.agent.id].sort(),
      );
      expect(body.suspended.every((a: { status: string }) => a.status === 'suspended')).toBe(true);
      expect(body.cancelledApprovals).toEqual([refund]);

      expect(await search(t.node, active.key)).toMatchObject({ effect: 'deny', code: 'agent_suspended' });
      expect((await search(t.node, bystander.key)).effect).toBe('allow');
      expect(await agentStatus(t.node, retired.agent.id)).toBe('retired');
      expect(await statusOf(t.node, bystanders)).toBe('pending');
      for (const agent of [active, pending]) {
        const [event] = await eventsOf(t.node, agent.agent.id, 'agent.suspend');
        expect(event?.payload).toMatchObject({
          kill: true,
          reason: 'owner account compromised',
          owner: owner.id,
        });
        expect(event?.actor).toEqual({ type: 'human', id: security.id });
      }
      expect(await eventsOf(t.node, suspended.agent.id, 'agent.suspend')).toHaveLength(0);
      const [summary] = await eventsOf(t.node, owner.id, 'kill.owner');
      expect(summary?.payload).toMatchObject({
        reason: 'owner account compromised',
        cancelledApprovals: [refund],
      });
      expect(summary?.actor).toEqual({ type: 'human', id: security.id });
      expect([...((summary?.payload?.suspended as string[]) ?? [])].sort()).toEqual(
        [active.agent.id, pending.agent.id].sort(),
      );
      const told = notifier.sent.filter((n) => n.type === 'kill.owner' && n.recipient.humanId === owner.id);
      expect(told).toHaveLength(1);
      expect(told[0]?.summary).toContain('owner account compromised');
    }
  });

  it('answers 404 for an owner that is not a human of the tenant, changing nothing', async () => {
    const before = await countEvents(t.node, 'kill.owner');
    const unknown = await request(t.node, 'POST', '/v1/kill/owners/nobody@example.test', security.token, {});
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('not_found');
    expect(await countEvents(t.node, 'kill.owner')).toBe(before);
  });

  it('freezes the tenant: every decision is denied, every pending approval cancelled, guardians told', async () => {
    const one = await seedAgent(t.node);
    const two = await seedAgent(t.node);
    const refunds = [await openRefund(t.node, one.key), await openRefund(t.node, two.key)];
    const review = await openPostReview(t.node, one.key);
    const pendingBefore = await pendingPreRequests();
    expect(pendingBefore).toEqual(expect.arrayContaining(refunds));
    const waiting = waitFor(t.node, two.key, refunds[1] ?? '', 20);
    await sleep(50);

    const frozen = await request(t.node, 'POST', '/v1/kill/tenant', security.token, {
      reason: 'credential leak under investigation',
    });
    expect(frozen.statusCode, frozen.body).toBe(200);
    expect(frozen.json()).toMatchObject({
      tenant: {
        id: t.node.bootstrap.tenant.id,
        frozen: true,
        frozenBy: security.id,
        reason: 'credential leak under investigation',
      },
      changed: true,
    });
    // Every agent's requests, those opened by earlier tests included.
    expect([...frozen.json().cancelledApprovals].sort()).toEqual(pendingBefore);
    expect(await pendingPreRequests()).toEqual([]);
    expect((await waiting).approval.status).toBe('cancelled');
    expect(await statusOf(t.node, review)).toBe('pending');
    for (const agent of [one, two]) {
      expect(await search(t.node, agent.key)).toMatchObject({ effect: 'deny', code: 'tenant_frozen' });
    }
    const status = await request(t.node, 'GET', '/v1/kill/tenant', viewer.token);
    expect(status.json().tenant).toMatchObject({
      frozen: true,
      reason: 'credential leak under investigation',
    });
    expect(Date.parse(status.json().tenant.frozenAt)).toBeGreaterThan(0);

    // Nothing new is created while frozen: a sub-agent spawn is refused.
    const spawned = await request(t.node, 'POST', '/v1/agents/spawn', one.key, {
      name: 'frozen-child',
      purpose: 'should not exist',
    });
    expect(spawned.statusCode).toBe(403);
    expect(spawned.json().error).toMatchObject({ code: 'forbidden' });
    expect(spawned.json().error.message).toContain('tenant frozen');

    const [freeze] = await eventsOf(t.node, t.node.bootstrap.tenant.id, 'tenant.freeze');
    expect(freeze?.actor).toEqual({ type: 'human', id: security.id });
    expect(freeze?.payload).toMatchObject({ reason: 'credential leak under investigation' });
    for (const id of refunds) expect(await eventsOf(t.node, id, 'approval.cancel')).toHaveLength(1);
    const told = notifier.sent.filter((n) => n.type === 'tenant.freeze').map((n) => n.recipient.humanId);
    expect(told).toContain(security.id);
    const admin = (await request(t.node, 'GET', '/v1/me', t.adminToken)).json().human.id as string;
    expect(told).toContain(admin);
    expect(told).not.toContain(viewer.id);
    expect(told).not.toContain(lead.id);

    // Freezing again keeps the first freeze and writes no second event.
    const again = await request(t.node, 'POST', '/v1/kill/tenant', t.adminToken, { reason: 'again' });
    expect(again.json()).toMatchObject({
      changed: false,
      tenant: { reason: 'credential leak under investigation' },
    });
    expect(await eventsOf(t.node, t.node.bootstrap.tenant.id, 'tenant.freeze')).toHaveLength(1);

    // Security may freeze, only an admin thaws.
    expect((await request(t.node, 'DELETE', '/v1/kill/tenant', security.token)).statusCode).toBe(403);
    const thawed = await request(t.node, 'DELETE', '/v1/kill/tenant', t.adminToken);
    expect(thawed.statusCode, thawed.body).toBe(200);
    expect(thawed.json()).toMatchObject({
      tenant: { frozen: false, frozenAt: null, reason: null },
      changed: true,
    });
    for (const agent of [one, two]) expect((await search(t.node, agent.key)).effect).toBe('allow');
    const [thaw] = await eventsOf(t.node, t.node.bootstrap.tenant.id, 'tenant.thaw');
    expect(thaw?.payload).toMatchObject({
      reason: 'credential leak under investigation',
      frozenBy: security.id,
    });
    expect(notifier.sent.some((n) => n.type === 'tenant.thaw' && n.recipient.humanId === security.id)).toBe(
      true,
    );

    // Thawing a thawed tenant is a no-op.
    const twice = await request(t.node, 'DELETE', '/v1/kill/tenant', t.adminToken);
    expect(twice.json()).toMatchObject({ changed: false, tenant: { frozen: false } });
    expect(await eventsOf(t.node, t.node.bootstrap.tenant.id, 'tenant.thaw')).toHaveLength(1);
  });

  it('keeps individually suspended agents suspended through a freeze and thaw', async () => {
    const agent = await seedAgent(t.node);
    expect(
      (await request(t.node, 'POST', `/v1/kill/agents/${agent.agent.id}`, security.token, {})).statusCode,
    ).toBe(200);
    expect(
      (await request(t.node, 'POST', '/v1/kill/tenant', security.token, { reason: 'drill' })).statusCode,
    ).toBe(200);
    expect((await request(t.node, 'DELETE', '/v1/kill/tenant', t.adminToken)).statusCode).toBe(200);
    expect(await search(t.node, agent.key)).toMatchObject({ effect: 'deny', code: 'agent_suspended' });
    const [event] = await eventsOf(t.node, agent.agent.id, 'agent.suspend');
    expect(event?.payload?.reason).toBe('kill switch (no reason given)');
  });
});
