import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { createTestDatabase, DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import {
  auditTypes,
  BOSS_EMAIL,
  count,
  createGroup,
  createHuman,
  createHumans,
  decide,
  getApproval,
  openRequest,
  type Person,
  RecordingNotifier,
  sleep,
  TestClock,
  until,
  vote,
  voteOk,
  waitFor,
  writePolicyDir,
} from './approvals-fixtures.js';

const TEN_MINUTES = 10 * 60_000;
const SWEEP = { approvalSweepIntervalMs: 20, onCallFirstSeconds: 60 };

/**
 * Deadlines with a clock the test moves: a stage that runs out of time escalates or expires,
 * exactly once however often the sweeper looks, and never approves. Deadlines live in the
 * database, so they survive a restart.
 */
describe.each(DATABASES)('approval deadlines (%s)', (kind) => {
  let policyDir: string;
  let t: TestNode;
  const clock = new TestClock('frozen');
  const notifier = new RecordingNotifier();
  let ops: Person[];
  let opsLeads: Person[];
  let boss: Person;
  let pager: Person[];
  let leads: Person[];
  let agent: { agent: { id: string }; key: string };

  beforeAll(async () => {
    policyDir = await writePolicyDir();
    t = await startTestNode(kind, { policyDir, clock: clock.now, notifier, settings: SWEEP });
    ops = await createHumans(t.node, t.adminToken, 2);
    opsLeads = await createHumans(t.node, t.adminToken, 2);
    boss = await createHuman(t.node, t.adminToken, ['approver'], BOSS_EMAIL);
    pager = await createHumans(t.node, t.adminToken, 3);
    leads = await createHumans(t.node, t.adminToken, 1);
    await createGroup(t.node, t.adminToken, 'ops', ops);
    await createGroup(t.node, t.adminToken, 'ops-leads', opsLeads);
    await createGroup(t.node, t.adminToken, 'pager', pager, true);
    await createGroup(t.node, t.adminToken, 'support-leads', leads);
    agent = await seedAgent(t.node);
  });
  afterAll(async () => {
    await t?.close();
    await rm(policyDir, { recursive: true, force: true });
  });

  const statusOf = async (id: string) => (await getApproval(t.node, t.adminToken, id)).status;

  it('expires a request whose deadline passed, once, and releases the waiting agent with expired', async () => {
    const args = { service: 'api' };
    const id = await openRequest(t.node, agent.key, 'ops.restart', args);
    const opened = await getApproval(t.node, t.adminToken, id);
    expect(Date.parse(opened.deadline)).toBe(clock.now() + TEN_MINUTES);
    const waiting = waitFor(t.node, agent.key, id, 20);
    // Nothing happens before the deadline, however often the sweeper looks.
    await sleep(150);
    expect(await statusOf(id)).toBe('pending');

    clock.advance(TEN_MINUTES + 1_000);
    const started = performance.now();
    const waited = await waiting;
    expect(waited.approval.status).toBe('expired');
    expect(waited.timedOut).toBe(false);
    expect(waited.at - started).toBeLessThan(2_000);

    const expired = await getApproval(t.node, t.adminToken, id);
    expect(expired).toMatchObject({ status: 'expired', decidedBy: 'system' });
    // Many more sweeps, and a clock far past the deadline, change nothing.
    await sleep(200);
    clock.advance(60 * 60_000);
    await sleep(200);
    const types = await auditTypes(t.node, id);
    expect(count(types, 'approval.expire')).toBe(1);
    expect(count(types, 'approval.timeout')).toBe(1);
    expect(types).toEqual(['approval.request', 'approval.expire', 'approval.timeout']);

    const late = await vote(t.node, (ops[0] as Person).token, id, 'approve');
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe('conflict');
    const used = await decide(t.node, agent.key, 'ops.restart', args, { approvalId: id });
    expect(used).toMatchObject({ effect: 'deny', code: 'approval_expired' });
  });

  it('escalates to each target in turn with a fresh deadline, notifying each, then expires; never approves', async () => {
    const id = await openRequest(t.node, agent.key, 'ops.failover', { region: 'eu-west' });
    expect(notifier.recipients('approval.request', id).sort()).toEqual(ops.map((p) => p.id).sort());

    clock.advance(TEN_MINUTES + 1_000);
    await until(async () => (await getApproval(t.node, t.adminToken, id)).escalation === 1);
    const first = await getApproval(t.node, t.adminToken, id);
    expect(first).toMatchObject({ status: 'pending', currentStep: 'escalation-1' });
    expect(Date.parse(first.deadline)).toBe(clock.now() + TEN_MINUTES);
    expect([...first.eligible].sort()).toEqual(opsLeads.map((p) => p.id).sort());
    expect(notifier.recipients('approval.escalate', id).sort()).toEqual(opsLeads.map((p) => p.id).sort());
    // The escalation replaces the step that ran out of time: ops no longer decides.
    const stale = await vote(t.node, (ops[0] as Person).token, id, 'approve');
    expect(stale.statusCode).toBe(403);
    expect(stale.json().error.code).toBe('forbidden');

    clock.advance(TEN_MINUTES + 1_000);
    await until(async () => (await getApproval(t.node, t.adminToken, id)).escalation === 2);
    const second = await getApproval(t.node, t.adminToken, id);
    expect(second).toMatchObject({ status: 'pending', currentStep: 'escalation-2', eligible: [boss.id] });
    expect(Date.parse(second.deadline)).toBe(clock.now() + TEN_MINUTES);
    expect(notifier.recipients('approval.escalate', id).slice(opsLeads.length)).toEqual([boss.id]);

    clock.advance(TEN_MINUTES + 1_000);
    await until(async () => (await statusOf(id)) !== 'pending');
    await sleep(150);
    expect(await getApproval(t.node, t.adminToken, id)).toMatchObject({
      status: 'expired',
      decidedBy: 'system',
      escalation: 2,
    });
    expect(await auditTypes(t.node, id)).toEqual([
      'approval.request',
      'approval.escalate',
      'approval.escalate',
      'approval.expire',
      'approval.timeout',
    ]);
  });

  it("approves the request on the escalation target's approval", async () => {
    const args = { region: 'us-east' };
    const id = await openRequest(t.node, agent.key, 'ops.failover', args);
    clock.advance(TEN_MINUTES + 1_000);
    await until(async () => (await getApproval(t.node, t.adminToken, id)).escalation === 1);
    const approved = await voteOk(t.node, (opsLeads[0] as Person).token, id, 'approve');
    expect(approved).toMatchObject({ status: 'approved', decidedBy: opsLeads[0]?.id });
    const used = await decide(t.node, agent.key, 'ops.failover', args, { approvalId: id });
    expect(used).toMatchObject({ effect: 'allow', code: 'approved' });
    // The escalation stage's deadline passing later changes nothing.
    clock.advance(TEN_MINUTES + 1_000);
    await sleep(150);
    expect(await statusOf(id)).toBe('approved');
  });

  it('lets the deadline settle a request nobody could decide: it expires once, never approves', async () => {
    const id = await openRequest(t.node, agent.key, 'vault.unseal', { vault: 'audit' });
    expect(await getApproval(t.node, t.adminToken, id)).toMatchObject({ status: 'pending', eligible: [] });
    expect(notifier.recipients('approval.unroutable', id)).toHaveLength(1);
    clock.advance(TEN_MINUTES + 1_000);
    await until(async () => (await statusOf(id)) === 'expired');
    await sleep(150);
    expect(await auditTypes(t.node, id)).toEqual(['approval.request', 'approval.expire', 'approval.timeout']);
  });

  it('records a review_missed incident when nobody reviews an after-the-fact call in time', async () => {
    const id = await openRequest(t.node, agent.key, 'tickets.close', { ticket: 'T-late' });
    clock.advance(60 * 60_000 + 1_000);
    await until(async () => (await statusOf(id)) === 'expired');
    const incidents = (await request(t.node, 'GET', '/v1/incidents', t.adminToken)).json().incidents as {
      kind: string;
      approvalId: string;
    }[];
    expect(incidents.filter((i) => i.approvalId === id).map((i) => i.kind)).toEqual(['review_missed']);
  });

  it("tells only an on-call group's first member at first, and the rest after the on-call window", async () => {
    const id = await openRequest(t.node, agent.key, 'pager.acknowledge', { alert: 'disk-full' });
    const [onCall, ...rest] = pager as [Person, Person, Person];
    expect(notifier.recipients('approval.request', id)).toEqual([onCall.id]);
    const shown = await getApproval(t.node, t.adminToken, id);
    expect(shown.onCall).toEqual([onCall.id]);
    await sleep(150);
    expect(notifier.recipients('approval.request', id)).toEqual([onCall.id]);

    clock.advance(61_000);
    await until(() => notifier.recipients('approval.request', id).length === 3);
    expect(notifier.recipients('approval.request', id).slice(1).sort()).toEqual(rest.map((p) => p.id).sort());
    await sleep(150);
    expect(notifier.recipients('approval.request', id)).toHaveLength(3);
    expect(count(await auditTypes(t.node, id), 'approval.notify')).toBe(1);
    // Anyone in the group may decide, on call or not.
    expect((await voteOk(t.node, (rest[1] as Person).token, id, 'approve')).status).toBe('approved');
  });

  it('refuses a vote that arrives after the deadline, even before a sweep has applied it', async () => {
    // A sweeper that only looks once a minute: the deadline has passed, but nobody has applied it yet
    // (the window after a restart, or while sweeps fail).
    const idle = new TestClock('frozen');
    const slow = await startTestNode(kind, {
      policyDir,
      clock: idle.now,
      settings: { approvalSweepIntervalMs: 60_000 },
    });
    try {
      const [reviewer] = await createHumans(slow.node, slow.adminToken, 1);
      await createGroup(slow.node, slow.adminToken, 'ops', [reviewer as Person]);
      const restarter = await seedAgent(slow.node);
      const args = { service: 'late' };
      const id = await openRequest(slow.node, restarter.key, 'ops.restart', args);
      idle.advance(TEN_MINUTES + 1_000);
      const late = await vote(slow.node, reviewer?.token ?? '', id, 'approve');
      expect(late.statusCode, late.body).toBe(409);
      expect(late.json().error.code).toBe('conflict');
      expect((await getApproval(slow.node, slow.adminToken, id)).status).not.toBe('approved');
      const used = await decide(slow.node, restarter.key, 'ops.restart', args, { approvalId: id });
      expect(used.effect).toBe('deny');
    } finally {
      await slow.close();
    }
  });

  it('keeps pending requests over a restart: the deadline still fires once, and an approval releases the waiter', async () => {
    const database = await createTestDatabase(kind);
    const before = new TestClock('frozen');
    let first: TestNode | undefined;
    let second: TestNode | undefined;
    try {
      first = await startTestNode(kind, { policyDir, clock: before.now, settings: SWEEP, shared: database });
      const team = await createHumans(first.node, first.adminToken, 2);
      await createGroup(first.node, first.adminToken, 'ops', team);
      const restarter = await seedAgent(first.node);
      const toExpire = await openRequest(first.node, restarter.key, 'ops.restart', { service: 'a' });
      const toApprove = await openRequest(first.node, restarter.key, 'ops.restart', { service: 'b' });
      await first.close();
      first = undefined;

      const after = new TestClock('frozen');
      second = await startTestNode(kind, { policyDir, clock: after.now, settings: SWEEP, shared: database });
      const node = second.node;
      const reviewer = team[0] as Person;
      expect((await getApproval(node, reviewer.token, toExpire)).status).toBe('pending');
      expect((await getApproval(node, reviewer.token, toApprove)).status).toBe('pending');

      const waiting = waitFor(node, restarter.key, toApprove, 20);
      await sleep(100);
      const approvedAt = performance.now();
      await voteOk(node, reviewer.token, toApprove, 'approve');
      const waited = await waiting;
      expect(waited.approval.status).toBe('approved');
      expect(waited.at - approvedAt).toBeLessThan(500);

      after.advance(TEN_MINUTES + 1_000);
      await until(async () => (await getApproval(node, reviewer.token, toExpire)).status === 'expired');
      await sleep(200);
      const types = await auditTypes(node, toExpire);
      expect(count(types, 'approval.expire')).toBe(1);
      expect(count(types, 'approval.timeout')).toBe(1);
      expect((await getApproval(node, reviewer.token, toApprove)).status).toBe('approved');
    } finally {
      await first?.close();
      await second?.close();
      await database.drop();
    }
  });
});
