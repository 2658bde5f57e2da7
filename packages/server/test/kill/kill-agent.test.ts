import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KillService } from '../../src/kill/kill-service.js';
import {
  createGroup,
  createHuman,
  type Person,
  RecordingNotifier,
  sleep,
  vote,
  waitFor,
} from '../approvals/approvals-fixtures.js';
import { auditEventsOf, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import {
  agentStatus,
  eventsOf,
  openPostReview,
  openRefund,
  search,
  statusOf,
  writeKillPolicy,
} from './kill-fixtures.js';

describe.each(DATABASES)('kill switch: one agent (%s)', (kind) => {
  let t: TestNode;
  let policyDir: string;
  let notifier: RecordingNotifier;
  let security: Person;
  let lead: Person;
  let owner: Person;

  beforeAll(async () => {
    policyDir = await writeKillPolicy();
    notifier = new RecordingNotifier();
    t = await startTestNode(kind, { policyDir, notifier });
    security = await createHuman(t.node, t.adminToken, ['security']);
    lead = await createHuman(t.node, t.adminToken, ['approver']);
    owner = await createHuman(t.node, t.adminToken, ['owner']);
    await createGroup(t.node, t.adminToken, 'leads', [lead]);
  });
  afterAll(async () => {
    await t.close();
    await rm(policyDir, { recursive: true, force: true });
  });

  const ownedAgent = () => seedAgent(t.node, { ownerId: owner.id });

  it('suspends the agent, cancels its pending approvals and releases the agent waiting on one', async () => {
    const agent = await ownedAgent();
    expect((await search(t.node, agent.key)).effect).toBe('allow');
    const refunds = [await openRefund(t.node, agent.key), await openRefund(t.node, agent.key)];
    const asked = await request(t.node, 'POST', '/v1/access-requests', agent.key, {
      tools: ['crm.contacts.update'],
      justification: 'Needs to fix addresses',
      durationSeconds: 3600,
    });
    expect(asked.statusCode, asked.body).toBe(201);
    const access = asked.json().id as string;
    const review = await openPostReview(t.node, agent.key);
    const other = await seedAgent(t.node);
    const othersRefund = await openRefund(t.node, other.key);

    const waiting = waitFor(t.node, agent.key, refunds[0] ?? '', 20);
    await sleep(100);
    const killedAt = performance.now();
    const res = await request(t.node, 'POST', `/v1/kill/agents/${agent.agent.id}`, security.token, {
      reason: 'leaking customer data',
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.agent).toMatchObject({ id: agent.agent.id, status: 'suspended' });
    expect(body.changed).toBe(true);
    expect([...body.cancelledApprovals].sort()).toEqual([...refunds, access].sort());

    const waited = await waiting;
    expect(waited.timedOut).toBe(false);
    expect(waited.approval).toMatchObject({ id: refunds[0], status: 'cancelled' });
    expect(waited.approval.comment).toContain('leaking customer data');
    expect(waited.at - killedAt).toBeLessThan(1000);

    // The after-the-fact review of a ticket already closed stays for a human; another agent's request too.
    expect(await statusOf(t.node, review)).toBe('pending');
    expect(await statusOf(t.node, othersRefund)).toBe('pending');
    expect(await search(t.node, agent.key)).toMatchObject({ effect: 'deny', code: 'agent_suspended' });
    expect((await search(t.node, other.key)).effect).toBe('allow');

    const [suspend] = await eventsOf(t.node, agent.agent.id, 'agent.suspend');
    expect(suspend?.actor).toEqual({ type: 'human', id: security.id });
    expect(suspend?.payload).toMatchObject({
      kill: true,
      reason: 'leaking customer data',
      from: 'active',
      to: 'suspended',
    });
    expect([...((suspend?.payload?.cancelledApprovals as string[]) ?? [])].sort()).toEqual(
      [...refunds, access].sort(),
    );
    for (const id of [...refunds, access]) {
      const cancels = await eventsOf(t.node, id, 'approval.cancel');
      expect(cancels).toHaveLength(1);
      expect(cancels[0]?.actor).toEqual({ type: 'human', id: security.id });
      expect(cancels[0]?.payload).toMatchObject({ agentId: agent.agent.id, status: 'cancelled' });
      expect(await statusOf(t.node, id)).toBe('cancelled');
    }
    const told = notifier.sent.filter((n) => n.type === 'agent.suspend' && n.subject.id === agent.agent.id);
    expect(told.map((n) => n.recipient.humanId)).toEqual([owner.id]);
    expect(told[0]?.summary).toContain('leaking customer data');
  });

  it('answers a vote on a cancelled request with 409, and redeeming it is denied', async () => {
    const agent = await ownedAgent();
    const id = await openRefund(t.node, agent.key);
    const killed = await request(t.node, 'POST', `/v1/kill/agents/${agent.agent.id}`, t.adminToken, {
      reason: 'test',
    });
    expect(killed.statusCode).toBe(200);
    const voted = await vote(t.node, lead.token, id, 'approve');
    expect(voted.statusCode).toBe(409);
    expect(voted.json().error).toMatchObject({ code: 'conflict', details: { status: 'cancelled' } });

    // Even once the agent is back, the cancelled approval grants nothing.
    const resumed = await request(t.node, 'POST', `/v1/agents/${agent.agent.id}/resume`, t.adminToken, {});
    expect(resumed.statusCode, resumed.body).toBe(200);
    const redeemed = await request(t.node, 'POST', '/v1/decide', agent.key, {
      tool: 'payments.refund',
      args: { amount: 700, order: 'o-redeem' },
      approvalId: id,
    });
    expect(redeemed.json()).toMatchObject({ effect: 'deny', code: 'approval_denied' });
    expect(redeemed.json().reason).toContain('cancelled');
  });

  it('is idempotent: a second kill changes nothing and audits nothing again', async () => {
    const agent = await ownedAgent();
    const first = await request(t.node, 'POST', `/v1/kill/agents/${agent.agent.id}`, security.token, {
      reason: 'once',
    });
    expect(first.json().changed).toBe(true);
    const before = (await auditEventsOf(t.node, agent.agent.id)).length;
    const second = await request(t.node, 'POST', `/v1/kill/agents/${agent.agent.id}`, security.token, {
      reason: 'twice',
    });
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json()).toMatchObject({
      agent: { status: 'suspended' },
      changed: false,
      cancelledApprovals: [],
    });
    expect(await auditEventsOf(t.node, agent.agent.id)).toHaveLength(before);
    expect(await eventsOf(t.node, agent.agent.id, 'agent.suspend')).toHaveLength(1);
  });

  it('refuses a retired agent with 409 and changes nothing', async () => {
    const agent = await ownedAgent();
    const retired = await request(t.node, 'POST', `/v1/agents/${agent.agent.id}/retire`, t.adminToken, {});
    expect(retired.statusCode).toBe(200);
    const res = await request(t.node, 'POST', `/v1/kill/agents/${agent.agent.id}`, security.token, {
      reason: 'too late',
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'conflict', details: { status: 'retired' } });
    expect(await agentStatus(t.node, agent.agent.id)).toBe('retired');
    expect(await eventsOf(t.node, agent.agent.id, 'agent.suspend')).toHaveLength(0);
  });

  it('lets a system actor (budgets at a hard limit) suspend an agent through the service', async () => {
    const agent = await ownedAgent();
    const refund = await openRefund(t.node, agent.key);
    expect((await search(t.node, agent.key)).effect).toBe('allow');
    const kill = new KillService({
      storage: t.node.storage,
      audit: t.node.audit,
      signals: t.node.signals,
      notifier,
      log: t.node.app.log,
      clock: Date.now,
    });
    const suspended = await kill.suspendAgent(
      { type: 'system', id: 'budgets' },
      t.node.bootstrap.tenant.id,
      agent.agent.id,
      'daily budget of $50 reached',
    );
    expect(suspended.status).toBe('suspended');
    // The node's agent cache heard `agent.changed`: the next decision is a deny.
    expect(await search(t.node, agent.key)).toMatchObject({ effect: 'deny', code: 'agent_suspended' });
    expect(await statusOf(t.node, refund)).toBe('cancelled');
    const [event] = await eventsOf(t.node, agent.agent.id, 'agent.suspend');
    expect(event?.actor).toEqual({ type: 'system', id: 'budgets' });
    expect(event?.payload).toMatchObject({ kill: true, reason: 'daily budget of $50 reached' });
    const [cancel] = await eventsOf(t.node, refund, 'approval.cancel');
    expect(cancel?.actor).toEqual({ type: 'system', id: 'budgets' });
    const told = notifier.sent.find((n) => n.type === 'agent.suspend' && n.subject.id === agent.agent.id);
    expect(told?.summary).toContain('Warden (budgets)');
    // Same agent again: a no-op.
    await kill.suspendAgent(
      { type: 'system', id: 'budgets' },
      t.node.bootstrap.tenant.id,
      agent.agent.id,
      'x',
    );
    expect(await eventsOf(t.node, agent.agent.id, 'agent.suspend')).toHaveLength(1);
  });

  it('cancels a pending registration when a pending agent is killed; resuming leaves it pending', async () => {
    const created = await request(t.node, 'POST', '/v1/agents', t.adminToken, {
      name: `pii-${Math.random().toString(36).slice(2, 8)}`,
      ownerId: owner.id,
      purpose: 'handles personal data',
      risk: 'pii',
      environments: ['production'],
    });
    expect(created.statusCode, created.body).toBe(201);
    const agentId = created.json().agent.id as string;
    const registration = await t.node.storage.db
      .selectFrom('approval_requests')
      .select('id')
      .where('agent_id', '=', agentId)
      .where('kind', '=', 'registration')
      .executeTakeFirstOrThrow();
    const res = await request(t.node, 'POST', `/v1/kill/agents/${agentId}`, owner.token, {
      reason: 'not needed',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().cancelledApprovals).toEqual([registration.id]);
    expect(await statusOf(t.node, registration.id)).toBe('cancelled');
    const resumed = await request(t.node, 'POST', `/v1/agents/${agentId}/resume`, t.adminToken, {});
    expect(resumed.json().agent.status).toBe('pending');
  });

  it('makes the ordinary suspend and retire routes cancel pending approvals too', async () => {
    for (const action of ['suspend', 'retire'] as const) {
      const agent = await ownedAgent();
      const id = await openRefund(t.node, agent.key);
      const waiting = waitFor(t.node, agent.key, id, 20);
      await sleep(50);
      const res = await request(t.node, 'POST', `/v1/agents/${agent.agent.id}/${action}`, t.adminToken, {
        reason: `${action} for the test`,
      });
      expect(res.statusCode, res.body).toBe(200);
      expect((await waiting).approval.status).toBe('cancelled');
      expect(await statusOf(t.node, id)).toBe('cancelled');
      const [event] = await eventsOf(t.node, agent.agent.id, `agent.${action}`);
      expect(event?.payload?.cancelledApprovals).toEqual([id]);
      expect(await eventsOf(t.node, id, 'approval.cancel')).toHaveLength(1);
    }
  });
});
