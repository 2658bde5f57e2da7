import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RiskClass } from '../../src/agents/agent.js';
import { addHuman, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import {
  addPerson,
  createGroup,
  expectRefused,
  getApproval,
  type Person,
  policyDir,
  stateOf,
  vote,
} from './sod-fixtures.js';

const AUTHOR = 'policy-author@example.test';

// One finance group decides everything here; the author of the policy is in it, so every request
// below also shows that a policy's author never decides under their own rules.
const POLICY = `apiVersion: warden/v1
kind: Policy
metadata:
  name: finance-controls
  owner: ${AUTHOR}
spec:
  agents:
    roles: [support-assistant]
  rules:
    - id: refund-review
      effect: review
      tools: [payments.refund]
      when: args.amount <= 10000
      reason: Refunds need a finance lead
      approval:
        approvers: [group:finance]
        timeout: 1h
    - id: large-refund-reauth
      effect: review
      tools: [payments.refund]
      when: args.amount > 10000
      reason: The person the refund is for confirms it again, then finance approves
      approval:
        steps:
          - name: confirm
            approvers: [initiator]
            required: 1
          - name: finance
            approvers: [group:finance]
            required: 1
        timeout: 1h
    - id: payout-two-leads
      effect: review
      tools: [payments.payout]
      reason: Payouts need two finance leads
      approval:
        approvers: [group:finance]
        required: 2
        timeout: 1h
    - id: vendor-payment-review
      effect: review
      tools: [vendor.pay]
      reason: Vendor payments need a finance lead
      approval:
        approvers: [group:finance]
        timeout: 1h
    - id: ledger-close-two-steps
      effect: review
      tools: [ledger.close]
      reason: Closing the books is prepared by one lead and signed off by another
      approval:
        steps:
          - name: prepare
            approvers: [group:finance]
            required: 1
          - name: sign-off
            approvers: [group:finance]
            required: 1
        timeout: 1h
`;

const GUARD_AUTHOR = 'guard-author@example.test';

// A second document whose review rule matches the same vendor payments: its author is excluded too.
const GUARDRAIL = `apiVersion: warden/v1
kind: Guardrail
metadata:
  name: vendor-payments
  owner: ${GUARD_AUTHOR}
spec:
  agents:
    roles: [support-assistant]
  rules:
    - id: vendor-payment-guard
      effect: review
      tools: [vendor.pay]
      reason: Every vendor payment is looked at by finance
      approval:
        approvers: [group:finance]
        timeout: 1h
`;

describe.each(DATABASES)('separation of duties (%s)', (db) => {
  let t: TestNode;
  let author: Person;
  let guardAuthor: Person;
  let lead1: Person;
  let lead2: Person;
  let customer: Person;
  let owner: Person;
  let asker: Person;
  let securityLead: Person;
  let serial = 0;

  beforeAll(async () => {
    t = await startTestNode(db, {
      policyDir: await policyDir({ 'finance.yaml': POLICY, 'guardrail.yaml': GUARDRAIL }),
    });
    author = await addPerson(t.node, ['approver'], AUTHOR);
    guardAuthor = await addPerson(t.node, ['viewer'], GUARD_AUTHOR);
    lead1 = await addPerson(t.node, ['viewer'], `lead1.${db}@example.test`);
    lead2 = await addPerson(t.node, ['viewer'], `lead2.${db}@example.test`);
    customer = await addPerson(t.node, ['viewer'], `customer.${db}@example.test`);
    owner = await addPerson(t.node, ['owner'], `owner.${db}@example.test`);
    asker = await addPerson(t.node, ['owner'], `asker.${db}@example.test`);
    securityLead = await addPerson(t.node, ['viewer'], `security.${db}@example.test`);
    await createGroup(t.node, t.adminToken, 'finance', [
      author.id,
      guardAuthor.id,
      lead1.id,
      lead2.id,
      customer.id,
      owner.id,
    ]);
    await createGroup(t.node, t.adminToken, 'security', [asker.id, securityLead.id]);
  });
  afterAll(() => t.close());

  const agentOf = (risk: RiskClass = 'internal', ownerId = owner.id) => seedAgent(t.node, { risk, ownerId });

  /** A call that the policy sends to review; returns the pending request's id. */
  async function review(
    key: string,
    tool: string,
    args: Record<string, unknown>,
    context: Record<string, unknown> = {},
  ): Promise<string> {
    const res = await request(t.node, 'POST', '/v1/decide', key, {
      tool,
      args: { ...args, ref: `r-${++serial}` },
      context,
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.effect).toBe('review');
    expect(body.approvalRequest.status).toBe('pending');
    return body.approvalRequest.id as string;
  }

  const sod = { status: 403, code: 'separation_of_duties' };

  it('refuses an agent key on approve and on deny, whichever agent holds it', async () => {
    const agent = await agentOf();
    const bystander = await agentOf();
    const id = await review(agent.key, 'payments.refund', { amount: 600 });
    for (const key of [agent.key, bystander.key]) {
      await expectRefused(t.node, key, id, 'approve', sod);
      await expectRefused(t.node, key, id, 'deny', sod);
    }
    expect((await getApproval(t.node, t.adminToken, id)).status).toBe('pending');
  });

  it('refuses the human the agent acts for, although they are in the approver group', async () => {
    const agent = await agentOf();
    const id = await review(agent.key, 'payments.refund', { amount: 900 }, { onBehalfOf: customer.email });
    const view = await getApproval(t.node, t.adminToken, id);
    expect(view.excluded).toEqual(
      expect.arrayContaining([
        { humanId: author.id, why: 'policy_owner' },
        { humanId: customer.id, why: 'on_behalf_of' },
      ]),
    );
    expect(view.excluded).toHaveLength(2);
    expect(view.eligible).not.toContain(customer.id);
    expect(view.eligible).not.toContain(author.id);
    expect(view.eligible).toEqual(expect.arrayContaining([lead1.id, lead2.id]));

    await expectRefused(t.node, customer.token, id, 'approve', sod);
    await expectRefused(t.node, customer.token, id, 'deny', sod);
    const done = await vote(t.node, lead1.token, id, 'approve');
    expect(done.status).toBe('approved');
    expect(done.decidedBy).toBe(lead1.id);
  });

  it('recognises the on-behalf-of human by id and by the unique local part of their address', async () => {
    const agent = await agentOf();
    for (const reference of [customer.id, customer.email.split('@')[0] ?? '', customer.email.toUpperCase()]) {
      const id = await review(agent.key, 'payments.refund', { amount: 950 }, { onBehalfOf: reference });
      const view = await getApproval(t.node, t.adminToken, id);
      expect(view.excluded, reference).toContainEqual({ humanId: customer.id, why: 'on_behalf_of' });
      await expectRefused(t.node, customer.token, id, 'approve', sod);
    }
  });

  it('lets that same human confirm a step that asks for the initiator (re-authentication)', async () => {
    const agent = await agentOf();
    const id = await review(agent.key, 'payments.refund', { amount: 25_000 }, { onBehalfOf: customer.email });
    const view = await getApproval(t.node, t.adminToken, id);
    expect(view.steps.map((s) => [s.name, s.approvers, s.state])).toEqual([
      ['confirm', ['initiator'], 'current'],
      ['finance', ['group:finance'], 'waiting'],
    ]);
    expect(view.eligible).toEqual([customer.id]);
    // Only the initiator confirms: a finance lead is simply not an approver of this step.
    await expectRefused(t.node, lead1.token, id, 'approve', { status: 403, code: 'forbidden' });

    const confirmed = await vote(t.node, customer.token, id, 'approve');
    expect(confirmed.status).toBe('pending');
    expect(confirmed.currentStep).toBe('finance');
    expect(confirmed.steps.map((s) => s.state)).toEqual(['done', 'current']);
    // In the finance step they are again the person the refund is for (and they already voted).
    await expectRefused(t.node, customer.token, id, 'approve', sod);

    const done = await vote(t.node, lead2.token, id, 'approve');
    expect(done.status).toBe('approved');
    expect(done.votes.map((v) => [v.humanId, v.step])).toEqual([
      [customer.id, 'confirm'],
      [lead2.id, 'finance'],
    ]);
  });

  it('refuses the owner of a high-risk agent as its only approver', async () => {
    const agent = await agentOf('financial');
    const id = await review(agent.key, 'payments.refund', { amount: 700 });
    await expectRefused(t.node, owner.token, id, 'approve', sod);
    const done = await vote(t.node, lead1.token, id, 'approve');
    expect(done.status).toBe('approved');
  });

  it('lets the owner of a low-risk agent approve alone', async () => {
    const agent = await agentOf('internal');
    const id = await review(agent.key, 'payments.refund', { amount: 700 });
    const done = await vote(t.node, owner.token, id, 'approve');
    expect(done.status).toBe('approved');
    expect(done.decidedBy).toBe(owner.id);
  });

  it("accepts a high-risk owner's vote once another human approved an earlier step", async () => {
    const agent = await agentOf('financial');
    const id = await review(agent.key, 'ledger.close', { period: '2026-01' });
    const prepared = await vote(t.node, lead1.token, id, 'approve');
    expect(prepared.currentStep).toBe('sign-off');
    const done = await vote(t.node, owner.token, id, 'approve');
    expect(done.status).toBe('approved');
    expect(done.decidedBy).toBe(owner.id);
  });

  it("accepts a high-risk owner's first vote of two, which does not complete the request", async () => {
    const agent = await agentOf('phi');
    const id = await review(agent.key, 'payments.payout', { amount: 4000 });
    const first = await vote(t.node, owner.token, id, 'approve');
    expect(first.status).toBe('pending');
    const done = await vote(t.node, lead1.token, id, 'approve');
    expect(done.status).toBe('approved');
    expect(done.votes.map((v) => v.humanId)).toEqual([owner.id, lead1.id]);
  });

  it('lets the owner of a high-risk agent deny', async () => {
    const agent = await agentOf('financial');
    const id = await review(agent.key, 'payments.refund', { amount: 720 });
    const done = await vote(t.node, owner.token, id, 'deny');
    expect(done.status).toBe('denied');
    expect(done.decidedBy).toBe(owner.id);
  });

  it("accepts a high-risk owner's vote as the second of two in the same step", async () => {
    const agent = await agentOf('financial');
    const id = await review(agent.key, 'payments.payout', { amount: 5000 });
    const first = await vote(t.node, lead2.token, id, 'approve');
    expect(first.status).toBe('pending');
    expect(first.steps[0]?.approvals).toBe(1);
    const done = await vote(t.node, owner.token, id, 'approve');
    expect(done.status).toBe('approved');
  });

  it('refuses the author of the policy whose rule asked for the review', async () => {
    const agent = await agentOf();
    const id = await review(agent.key, 'payments.refund', { amount: 650 });
    const view = await getApproval(t.node, t.adminToken, id);
    expect(view.excluded).toEqual([{ humanId: author.id, why: 'policy_owner' }]);
    await expectRefused(t.node, author.token, id, 'approve', sod);
    await expectRefused(t.node, author.token, id, 'deny', sod);
    expect((await vote(t.node, lead2.token, id, 'deny')).status).toBe('denied');
  });

  it('refuses the authors of every policy whose rule asked for the review', async () => {
    const agent = await agentOf();
    const id = await review(agent.key, 'vendor.pay', { amount: 300 });
    const view = await getApproval(t.node, t.adminToken, id);
    expect(view.excluded).toEqual(
      expect.arrayContaining([
        { humanId: author.id, why: 'policy_owner' },
        { humanId: guardAuthor.id, why: 'policy_owner' },
      ]),
    );
    expect(view.excluded).toHaveLength(2);
    expect(view.steps.map((s) => s.approvers)).toEqual([['group:finance']]);
    await expectRefused(t.node, guardAuthor.token, id, 'approve', sod);
    await expectRefused(t.node, author.token, id, 'approve', sod);
    expect((await vote(t.node, lead1.token, id, 'approve')).status).toBe('approved');
  });

  it('counts each human once: the same human cannot approve twice (M-of-N)', async () => {
    const agent = await agentOf();
    const id = await review(agent.key, 'payments.payout', { amount: 2500 });
    const first = await vote(t.node, lead1.token, id, 'approve');
    expect(first.status).toBe('pending');
    expect(first.eligible).not.toContain(lead1.id);
    await expectRefused(t.node, lead1.token, id, 'approve', sod);
    await expectRefused(t.node, lead1.token, id, 'deny', sod);
    expect((await stateOf(t.node, id)).votes).toBe(1);
    const done = await vote(t.node, lead2.token, id, 'approve');
    expect(done.status).toBe('approved');
    expect(done.votes.map((v) => v.humanId)).toEqual([lead1.id, lead2.id]);
  });

  it('refuses the requester of an access request, although they are in the security group', async () => {
    const agent = await agentOf('internal', asker.id);
    const res = await request(t.node, 'POST', `/v1/agents/${agent.agent.id}/access-requests`, asker.token, {
      tools: ['crm.contacts.update'],
      justification: 'the agent now updates contact details',
      durationSeconds: 3600,
    });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json();
    expect(created.currentStep).toBe('security');
    expect(created.excluded).toEqual([{ humanId: asker.id, why: 'requester' }]);
    expect(created.eligible).toEqual([securityLead.id]);

    await expectRefused(t.node, asker.token, created.id, 'approve', sod);
    await expectRefused(t.node, asker.token, created.id, 'deny', sod);
    const done = await vote(t.node, securityLead.token, created.id, 'approve');
    expect(done.status).toBe('approved');
  });

  it('lets the first valid decision win: a later deny gets 409 and changes nothing', async () => {
    const agent = await agentOf();
    const id = await review(agent.key, 'payments.refund', { amount: 800 });
    expect((await vote(t.node, lead1.token, id, 'approve')).status).toBe('approved');
    await expectRefused(t.node, lead2.token, id, 'deny', { status: 409, code: 'conflict' });
    await expectRefused(t.node, lead2.token, id, 'approve', { status: 409, code: 'conflict' });
    const view = await getApproval(t.node, t.adminToken, id);
    expect(view.status).toBe('approved');
    expect(view.decidedBy).toBe(lead1.id);
    expect(view.votes).toHaveLength(1);
  });

  it('answers forbidden (not separation_of_duties) to a human who is no approver', async () => {
    const agent = await agentOf();
    const outsider = await addHuman(t.node, ['viewer']);
    const id = await review(agent.key, 'payments.refund', { amount: 800 });
    await expectRefused(t.node, outsider.token, id, 'approve', { status: 403, code: 'forbidden' });
    await expectRefused(t.node, outsider.token, id, 'deny', { status: 403, code: 'forbidden' });
  });
});
