import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEventsOf, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { Receiver, verifySignature } from '../notify/receiver.js';
import {
  type AgentApproval,
  auditTypes,
  createGroup,
  createHumans,
  decide,
  EventStreamReader,
  getApproval,
  openRequest,
  type Person,
  RecordingNotifier,
  TestClock,
  until,
  voteOk,
  waitFor,
  writePolicyDir,
} from './approvals-fixtures.js';

const SECRET = 'rollback-secret-0123456789';
const PUBLIC_URL = 'https://warden.example.test';

/**
 * The approvals flow end to end, as an agent and its humans live it: review, wait, approve or deny,
 * use the approval once; after-the-fact reviews and sampling; M-of-N and ordered steps.
 */
describe.each(DATABASES)('approval flows (%s)', (kind) => {
  let t: TestNode;
  let url: string;
  let policyDir: string;
  let receiver: Receiver;
  const clock = new TestClock('running');
  const notifier = new RecordingNotifier();
  let adminId: string;
  let leads: Person[];
  let stewards: Person[];
  let security: Person[];
  let legal: Person[];
  let agentA: { agent: { id: string }; key: string };
  let agentB: { agent: { id: string }; key: string };

  beforeAll(async () => {
    policyDir = await writePolicyDir();
    receiver = await Receiver.start('/rollback');
    t = await startTestNode(kind, {
      policyDir,
      clock: clock.now,
      notifier,
      settings: { webhookSecret: SECRET, webhookRetryBaseMs: 10, publicUrl: PUBLIC_URL },
    });
    url = await t.node.listen();
    adminId = (await request(t.node, 'GET', '/v1/me', t.adminToken)).json().human.id;
    [leads, stewards, security, legal] = [
      await createHumans(t.node, t.adminToken, 2),
      await createHumans(t.node, t.adminToken, 3),
      await createHumans(t.node, t.adminToken, 1, ['security']),
      await createHumans(t.node, t.adminToken, 3),
    ];
    await createGroup(t.node, t.adminToken, 'support-leads', leads);
    await createGroup(t.node, t.adminToken, 'stewards', stewards);
    await createGroup(t.node, t.adminToken, 'sec-team', security);
    await createGroup(t.node, t.adminToken, 'legal-team', legal);
    agentA = await seedAgent(t.node, { rollbackUrl: receiver.url });
    agentB = await seedAgent(t.node);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
    await rm(policyDir, { recursive: true, force: true });
  });

  const lead = () => leads[0] as Person;

  describe('pre mode', () => {
    it('opens a request that shows the approver everything needed to decide', async () => {
      const answer = await decide(
        t.node,
        agentA.key,
        'payments.refund',
        { amount: 600, order: 'o-ctx', customerEmail: 'jane.doe@example.com' },
        {
          context: {
            taskId: 'task-refund-ctx',
            initiator: 'requester@example.test',
            interface: 'chat',
            reasoning: 'The customer was charged twice for one order',
            recommendation: 'Refund the duplicate charge',
          },
        },
      );
      expect(answer.effect).toBe('review');
      const ref = answer.approvalRequest;
      expect(ref).toMatchObject({ mode: 'pre', status: 'pending', grantExpiresAt: null });
      expect(ref?.links).toEqual({
        wait: `/v1/approvals/${ref?.id}/wait`,
        events: `/v1/approvals/${ref?.id}/events`,
      });
      const id = ref?.id ?? '';

      const shown = await getApproval(t.node, t.adminToken, id);
      expect(shown).toMatchObject({
        id,
        kind: 'action',
        mode: 'pre',
        status: 'pending',
        agentId: agentA.agent.id,
        decisionId: answer.decisionId,
        tool: 'payments.refund',
        currentStep: 'approval',
      });
      expect(shown.context.agent).toMatchObject({
        id: agentA.agent.id,
        owner: { id: adminId, email: 'admin@localhost' },
        tier: 'monitored',
        risk: 'internal',
        riskLevel: 'low',
      });
      expect(shown.context.task).toMatchObject({
        id: 'task-refund-ctx',
        initiator: 'requester@example.test',
        interface: 'chat',
        environment: 'production',
      });
      // The approver sees the call as stored: the customer's address is redacted.
      expect(shown.context.action).toEqual({
        tool: 'payments.refund',
        args: { amount: 600, order: 'o-ctx', customerEmail: '[REDACTED:email]' },
        digest: shown.actionDigest,
      });
      expect(JSON.stringify(shown)).not.toContain('jane.doe@example.com');
      expect(shown.context.rule).toMatchObject({
        id: 'refund-review',
        reason: 'Refunds over $500 need a lead',
      });
      expect(shown.context.reasoning).toBe('The customer was charged twice for one order');
      expect(shown.context.recommendation).toBe('Refund the duplicate charge');
      expect(shown.context.spend).toEqual({
        todayUsd: expect.any(Number),
        monthUsd: expect.any(Number),
        callsToday: expect.any(Number),
      });
      expect(shown.steps).toEqual([
        { name: 'approval', approvers: ['group:support-leads'], required: 1, approvals: 0, state: 'current' },
      ]);
      expect([...shown.eligible].sort()).toEqual(leads.map((l) => l.id).sort());
      // Both leads were told, with a link to the request.
      expect(notifier.recipients('approval.request', id).sort()).toEqual(leads.map((l) => l.id).sort());
      const notice = notifier.sent.find((n) => n.subject.id === id);
      expect(notice?.link).toBe(`${PUBLIC_URL}/v1/approvals/${id}`);
    });

    it('releases the waiting agent at once on approval; the approval allows the call exactly once', async () => {
      const args = { amount: 700, order: 'o-approve' };
      const id = await openRequest(t.node, agentA.key, 'payments.refund', args);
      const waiting = waitFor(t.node, agentA.key, id, 20);
      // The long-poll is parked before the human decides.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const approvedAt = performance.now();
      const approved = await voteOk(t.node, lead().token, id, 'approve', 'looks right');
      expect(approved).toMatchObject({ status: 'approved', decidedBy: lead().id, comment: 'looks right' });
      expect(approved.grantExpiresAt).not.toBeNull();
      const waited = await waiting;
      expect(waited.timedOut).toBe(false);
      expect(waited.approval).toMatchObject({ id, status: 'approved', comment: 'looks right' });
      expect(waited.at - approvedAt).toBeLessThan(500);

      const used = await decide(t.node, agentA.key, 'payments.refund', args, { approvalId: id });
      expect(used).toMatchObject({ effect: 'allow', code: 'approved' });
      expect(used.approvalRequest?.id).toBe(id);
      const again = await decide(t.node, agentA.key, 'payments.refund', args, { approvalId: id });
      expect(again).toMatchObject({ effect: 'deny', code: 'approval_used' });

      const shown = await getApproval(t.node, t.adminToken, id);
      expect(shown.consumedBy).toBe(used.decisionId);
      expect(await auditTypes(t.node, id)).toEqual([
        'approval.request',
        'approval.approve',
        'approval.grant',
        'approval.use',
      ]);
      // The agent's owner hears the outcome.
      expect(notifier.recipients('approval.decided', id)).toEqual([adminId]);
    });

    it('releases the waiting agent with denied; the denied request cannot be used', async () => {
      const args = { amount: 800, order: 'o-deny' };
      const id = await openRequest(t.node, agentA.key, 'payments.refund', args);
      const waiting = waitFor(t.node, agentA.key, id, 20);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const deniedAt = performance.now();
      await voteOk(t.node, lead().token, id, 'deny', 'not eligible for a refund');
      const waited = await waiting;
      expect(waited.approval).toMatchObject({ status: 'denied', comment: 'not eligible for a refund' });
      expect(waited.timedOut).toBe(false);
      expect(waited.at - deniedAt).toBeLessThan(500);
      const refused = await decide(t.node, agentA.key, 'payments.refund', args, { approvalId: id });
      expect(refused).toMatchObject({ effect: 'deny', code: 'approval_denied' });
      expect(await auditTypes(t.node, id)).toEqual(['approval.request', 'approval.deny', 'approval.reject']);
    });

    it('answers approval_pending to a call that does not wait for the decision', async () => {
      const args = { amount: 650, order: 'o-early' };
      const id = await openRequest(t.node, agentA.key, 'payments.refund', args);
      const early = await decide(t.node, agentA.key, 'payments.refund', args, { approvalId: id });
      expect(early).toMatchObject({ effect: 'deny', code: 'approval_pending' });
      await voteOk(t.node, lead().token, id, 'approve');
      const used = await decide(t.node, agentA.key, 'payments.refund', args, { approvalId: id });
      expect(used).toMatchObject({ effect: 'allow', code: 'approved' });
    });

    it('streams the request to its agent over SSE: pending, then approved, then the stream ends', async () => {
      const id = await openRequest(t.node, agentA.key, 'payments.refund', { amount: 900, order: 'o-sse' });
      const stream = await EventStreamReader.open(`${url}/v1/approvals/${id}/events`, agentA.key);
      try {
        expect(stream.status).toBe(200);
        expect(stream.contentType).toMatch(/^text\/event-stream/);
        const first = await stream.next();
        expect(first?.event).toBe('approval');
        expect(first?.data).toMatchObject({ id, status: 'pending', mode: 'pre' });
        await voteOk(t.node, lead().token, id, 'approve');
        const second = await stream.next();
        expect(second?.event).toBe('approval');
        expect(second?.data).toMatchObject({ id, status: 'approved' });
        expect((second?.data as AgentApproval | undefined)?.grantExpiresAt).toEqual(expect.any(String));
        expect(await stream.next()).toBeNull();
      } finally {
        stream.close();
      }
    });
  });

  describe('when nobody can decide yet', () => {
    it('keeps the request pending, tells the admins, and lets humans added later decide', async () => {
      const args = { vault: 'payments' };
      const answer = await decide(t.node, agentA.key, 'vault.unseal', args);
      expect(answer.effect).toBe('review');
      expect(answer.approvalRequest).toMatchObject({ mode: 'pre', status: 'pending' });
      const id = answer.approvalRequest?.id ?? '';
      expect(await getApproval(t.node, t.adminToken, id)).toMatchObject({ status: 'pending', eligible: [] });
      expect(notifier.recipients('approval.unroutable', id)).toEqual([adminId]);
      expect(notifier.recipients('approval.request', id)).toEqual([]);
      const [opened] = await auditEventsOf(t.node, id);
      expect(opened?.type).toBe('approval.request');
      expect(opened?.payload?.unroutable).toEqual(expect.stringContaining("step 'approval'"));
      const early = await waitFor(t.node, agentA.key, id, 0);
      expect(early).toMatchObject({ approval: { status: 'pending' }, timedOut: true });

      // Eligibility is worked out at each vote: a keeper added now can decide.
      const [keeper] = await createHumans(t.node, t.adminToken, 1);
      expect((await request(t.node, 'POST', `/v1/approvals/${id}/approve`, keeper?.token)).statusCode).toBe(
        403,
      );
      await createGroup(t.node, t.adminToken, 'vault-keepers', [keeper as Person]);
      expect((await getApproval(t.node, t.adminToken, id)).eligible).toEqual([keeper?.id]);
      expect((await voteOk(t.node, keeper?.token ?? '', id, 'approve')).status).toBe('approved');
      const used = await decide(t.node, agentA.key, 'vault.unseal', args, { approvalId: id });
      expect(used).toMatchObject({ effect: 'allow', code: 'approved' });
    });
  });

  describe('binding an approval to the exact call', () => {
    it('refuses other arguments (approval_mismatch) and still allows the approved ones', async () => {
      const args = { amount: 600, order: 'o-digest' };
      const id = await openRequest(t.node, agentA.key, 'payments.refund', args);
      await voteOk(t.node, lead().token, id, 'approve');
      const bigger = await decide(
        t.node,
        agentA.key,
        'payments.refund',
        { ...args, amount: 6000 },
        {
          approvalId: id,
        },
      );
      expect(bigger).toMatchObject({ effect: 'deny', code: 'approval_mismatch' });
      const same = await decide(t.node, agentA.key, 'payments.refund', args, { approvalId: id });
      expect(same).toMatchObject({ effect: 'allow', code: 'approved' });
    });

    it('binds to the call, not to how its arguments were written: key order does not matter', async () => {
      const id = await openRequest(t.node, agentA.key, 'payments.refund', {
        amount: 640,
        order: 'o-order',
        lines: [{ sku: 'a', qty: 1 }],
      });
      await voteOk(t.node, lead().token, id, 'approve');
      const reordered = await decide(
        t.node,
        agentA.key,
        'payments.refund',
        { lines: [{ qty: 1, sku: 'a' }], order: 'o-order', amount: 640 },
        { approvalId: id },
      );
      expect(reordered).toMatchObject({ effect: 'allow', code: 'approved' });
    });

    it('refuses an unknown approval id (approval_mismatch) and a malformed one (400)', async () => {
      const args = { amount: 630, order: 'o-unknown' };
      const unknown = await decide(t.node, agentA.key, 'payments.refund', args, {
        approvalId: `apr_${'0'.repeat(26)}`,
      });
      expect(unknown).toMatchObject({ effect: 'deny', code: 'approval_mismatch' });
      const malformed = await request(t.node, 'POST', '/v1/decide', agentA.key, {
        tool: 'payments.refund',
        args,
        approvalId: 'approve-me',
      });
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json().error.details.field).toBe('body.approvalId');
    });

    it("refuses agent A's approval to agent B (approval_mismatch), and leaves it for A", async () => {
      const args = { amount: 610, order: 'o-other-agent' };
      const id = await openRequest(t.node, agentA.key, 'payments.refund', args);
      await voteOk(t.node, lead().token, id, 'approve');
      const stolen = await decide(t.node, agentB.key, 'payments.refund', args, { approvalId: id });
      expect(stolen).toMatchObject({ effect: 'deny', code: 'approval_mismatch' });
      expect((await getApproval(t.node, t.adminToken, id)).consumedAt).toBeNull();
      const own = await decide(t.node, agentA.key, 'payments.refund', args, { approvalId: id });
      expect(own).toMatchObject({ effect: 'allow', code: 'approved' });
    });

    it('refuses an approval used after its grant lapsed (approval_expired)', async () => {
      const args = { amount: 620, order: 'o-late' };
      const id = await openRequest(t.node, agentA.key, 'payments.refund', args);
      const approved = await voteOk(t.node, lead().token, id, 'approve');
      expect(Date.parse(approved.grantExpiresAt ?? '') - clock.now()).toBeLessThanOrEqual(
        t.node.config.approvalGrantTtlSeconds * 1000,
      );
      clock.advance((t.node.config.approvalGrantTtlSeconds + 1) * 1000);
      const late = await decide(t.node, agentA.key, 'payments.refund', args, { approvalId: id });
      expect(late).toMatchObject({ effect: 'deny', code: 'approval_expired' });
      expect((await getApproval(t.node, t.adminToken, id)).consumedAt).toBeNull();
    });
  });

  describe('post mode', () => {
    it('lets the agent proceed; a rejection records an incident and calls the signed rollback webhook', async () => {
      receiver.reset();
      const answer = await decide(
        t.node,
        agentA.key,
        'tickets.close',
        { ticket: 'T-1' },
        {
          context: { taskId: 'task-close-1' },
        },
      );
      expect(answer.effect).toBe('review');
      expect(answer.approvalRequest).toMatchObject({ mode: 'post', status: 'pending' });
      const id = answer.approvalRequest?.id ?? '';
      await voteOk(t.node, lead().token, id, 'deny', 'that ticket was still open');

      const incidents = await request(t.node, 'GET', '/v1/incidents', t.adminToken);
      expect(incidents.statusCode).toBe(200);
      const incident = (
        incidents.json().incidents as { id: string; kind: string; approvalId: string; agentId: string }[]
      ).find((i) => i.approvalId === id);
      expect(incident).toMatchObject({ kind: 'review_rejected', agentId: agentA.agent.id });

      await until(() => receiver.received.length > 0);
      const call = receiver.received[0];
      expect(call?.method).toBe('POST');
      expect(JSON.parse(call?.body ?? '{}')).toMatchObject({
        type: 'approval.rollback',
        approvalId: id,
        incidentId: incident?.id,
        agentId: agentA.agent.id,
        decisionId: answer.decisionId,
        taskId: 'task-close-1',
        tool: 'tickets.close',
        reason: 'that ticket was still open',
      });
      expect(verifySignature(call?.headers['warden-signature'], call?.body ?? '', SECRET)).toBe(true);
      expect(await auditTypes(t.node, id)).toEqual(['approval.request', 'approval.deny', 'approval.reject']);
    });

    it('records nothing and calls no one when the after-the-fact review approves', async () => {
      receiver.reset();
      const id = await openRequest(t.node, agentA.key, 'tickets.close', { ticket: 'T-2' });
      await voteOk(t.node, lead().token, id, 'approve');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(receiver.received).toEqual([]);
      const incidents = (await request(t.node, 'GET', '/v1/incidents', t.adminToken)).json().incidents as {
        approvalId: string;
      }[];
      expect(incidents.some((i) => i.approvalId === id)).toBe(false);
    });

    it('calls the rollback webhook unsigned when no webhook secret is configured', async () => {
      const unsigned = await startTestNode(kind, { policyDir });
      const hook = await Receiver.start('/unsigned');
      try {
        const leadsHere = await createHumans(unsigned.node, unsigned.adminToken, 1);
        await createGroup(unsigned.node, unsigned.adminToken, 'support-leads', leadsHere);
        const agent = await seedAgent(unsigned.node, { rollbackUrl: hook.url });
        const id = await openRequest(unsigned.node, agent.key, 'tickets.close', { ticket: 'T-3' });
        await voteOk(unsigned.node, (leadsHere[0] as Person).token, id, 'deny');
        await until(() => hook.received.length > 0);
        expect(JSON.parse(hook.received[0]?.body ?? '{}')).toMatchObject({
          type: 'approval.rollback',
          approvalId: id,
        });
        expect(hook.received[0]?.headers['warden-signature']).toBeUndefined();
      } finally {
        await hook.close();
        await unsigned.close();
      }
    });
  });

  describe('sampling', () => {
    it('opens a sample request for every allowed call at rate 1; the decision stays allow', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const answer = await decide(t.node, agentA.key, 'kb.articles.search', {
          query: `refund policy ${i}`,
        });
        expect(answer).toMatchObject({ effect: 'allow' });
        expect(answer.approvalRequest).toMatchObject({ mode: 'sample', status: 'pending' });
        ids.push(answer.approvalRequest?.id ?? '');
      }
      expect(new Set(ids).size).toBe(3);
      for (const id of ids) {
        expect(await getApproval(t.node, t.adminToken, id)).toMatchObject({
          kind: 'action',
          mode: 'sample',
          tool: 'kb.articles.search',
        });
      }
      // Approving a sampled call confirms it; it grants nothing and records nothing.
      const confirmed = await voteOk(t.node, lead().token, ids[0] ?? '', 'approve');
      expect(confirmed).toMatchObject({ status: 'approved', grantExpiresAt: null });
      const incidents = (await request(t.node, 'GET', '/v1/incidents', t.adminToken)).json().incidents as {
        approvalId: string;
      }[];
      expect(incidents.some((i) => i.approvalId === ids[0])).toBe(false);
    });

    it('opens hardly any at a tiny rate: none over 50 calls', async () => {
      for (let i = 0; i < 50; i++) {
        const answer = await decide(t.node, agentA.key, 'kb.articles.read', { article: `a-${i}` });
        expect(answer.effect).toBe('allow');
        expect(answer.approvalRequest).toBeNull();
      }
      const sampled = await t.node.storage.db
        .selectFrom('approval_requests')
        .select('id')
        .where('tool', '=', 'kb.articles.read')
        .execute();
      expect(sampled).toEqual([]);
    });

    it('records a sample_rejected incident when a sampled call is rejected', async () => {
      receiver.reset();
      const answer = await decide(t.node, agentA.key, 'kb.articles.search', { query: 'salary data' });
      const id = answer.approvalRequest?.id ?? '';
      await voteOk(t.node, lead().token, id, 'deny', 'agents must not search for that');
      const incidents = (
        await request(t.node, 'GET', `/v1/incidents?agentId=${agentA.agent.id}`, t.adminToken)
      ).json().incidents as { kind: string; approvalId: string }[];
      expect(incidents.find((i) => i.approvalId === id)?.kind).toBe('sample_rejected');
      expect(await auditTypes(t.node, id)).toEqual(['approval.request', 'approval.deny', 'approval.reject']);
    });
  });

  describe('several approvers', () => {
    it('needs 2 of a group of 3 (M-of-N) before the call is allowed', async () => {
      const args = { table: 'customers', rows: 10_000 };
      const id = await openRequest(t.node, agentA.key, 'crm.records.export', args);
      const [first, second] = stewards as [Person, Person, Person];
      const waiting = waitFor(t.node, agentA.key, id, 20);
      const one = await voteOk(t.node, first.token, id, 'approve');
      expect(one.status).toBe('pending');
      expect(one.steps[0]).toMatchObject({ required: 2, approvals: 1, state: 'current' });
      expect(one.eligible).not.toContain(first.id);
      const early = await decide(t.node, agentA.key, 'crm.records.export', args, { approvalId: id });
      expect(early.code).toBe('approval_pending');
      // The same human cannot count twice.
      const twice = await request(t.node, 'POST', `/v1/approvals/${id}/approve`, first.token);
      expect(twice.statusCode).toBe(403);
      expect(twice.json().error.code).toBe('separation_of_duties');
      const two = await voteOk(t.node, second.token, id, 'approve');
      expect(two.status).toBe('approved');
      expect(two.steps[0]).toMatchObject({ approvals: 2, state: 'approved' });
      expect((await waiting).approval.status).toBe('approved');
      const used = await decide(t.node, agentA.key, 'crm.records.export', args, { approvalId: id });
      expect(used).toMatchObject({ effect: 'allow', code: 'approved' });
    });

    it('runs ordered steps (security, then legal with its own count), notifying each step when it starts', async () => {
      const args = { service: 'billing', version: '2.4.0' };
      const id = await openRequest(t.node, agentA.key, 'infra.deploy', args);
      const securityIds = security.map((p) => p.id);
      const legalIds = legal.map((p) => p.id).sort();
      expect(notifier.recipients('approval.request', id)).toEqual(securityIds);

      const started = await getApproval(t.node, t.adminToken, id);
      expect(started.steps.map((s) => [s.name, s.required, s.state])).toEqual([
        ['security', 1, 'current'],
        ['legal', 2, 'waiting'],
      ]);
      const [legal1, legal2] = legal as [Person, Person, Person];
      // Legal cannot decide before security has.
      const tooEarly = await request(t.node, 'POST', `/v1/approvals/${id}/approve`, legal1.token);
      expect(tooEarly.statusCode).toBe(403);
      expect(tooEarly.json().error.code).toBe('forbidden');

      const afterSecurity = await voteOk(t.node, (security[0] as Person).token, id, 'approve');
      expect(afterSecurity).toMatchObject({ status: 'pending', currentStep: 'legal' });
      expect(afterSecurity.steps.map((s) => s.state)).toEqual(['done', 'current']);
      const told = notifier.recipients('approval.request', id);
      expect(told.slice(0, securityIds.length)).toEqual(securityIds);
      expect(told.slice(securityIds.length).sort()).toEqual(legalIds);

      expect((await voteOk(t.node, legal1.token, id, 'approve')).status).toBe('pending');
      expect((await voteOk(t.node, legal2.token, id, 'approve')).status).toBe('approved');
      const used = await decide(t.node, agentA.key, 'infra.deploy', args, { approvalId: id });
      expect(used).toMatchObject({ effect: 'allow', code: 'approved' });

      expect(await auditTypes(t.node, id)).toEqual([
        'approval.request',
        'approval.approve',
        'approval.advance',
        'approval.approve',
        'approval.approve',
        'approval.grant',
        'approval.use',
      ]);
    });

    it('settles the whole request as denied on one deny in a later step', async () => {
      const id = await openRequest(t.node, agentA.key, 'infra.deploy', {
        service: 'search',
        version: '1.0.1',
      });
      await voteOk(t.node, (security[0] as Person).token, id, 'approve');
      await voteOk(t.node, (legal[0] as Person).token, id, 'approve');
      const denied = await voteOk(t.node, (legal[1] as Person).token, id, 'deny', 'contract forbids it');
      expect(denied).toMatchObject({ status: 'denied', decidedBy: legal[1]?.id });
      expect(denied.steps.map((s) => s.state)).toEqual(['done', 'denied']);
    });
  });
});
