import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addPerson,
  createGroup,
  getApproval,
  type Person,
  policyDir,
  vote,
} from '../approvals/sod-fixtures.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { decide, review, STEP_UP_POLICY } from './fixtures.js';

describe.each(DATABASES)('who answers for the initiator (%s)', (db) => {
  let t: TestNode;
  let customer: Person;
  let operator: Person;
  let lead: Person;
  let agentKey: string;

  beforeAll(async () => {
    t = await startTestNode(db, { policyDir: await policyDir({ 'refunds.yaml': STEP_UP_POLICY }) });
    customer = await addPerson(t.node, ['viewer'], `customer.${db}@example.test`);
    operator = await addPerson(t.node, ['viewer'], `operator.${db}@example.test`);
    lead = await addPerson(t.node, ['viewer'], `lead.${db}@example.test`);
    await createGroup(t.node, t.adminToken, 'support-leads', [lead.id]);
    agentKey = (await seedAgent(t.node)).key;
  });
  afterAll(() => t.close());

  const exportFor = (context: Record<string, unknown>) =>
    review(t.node, agentKey, 'crm.export', { rows: 10 }, context);

  it('is the on-behalf-of human when they are a Warden user', async () => {
    const id = await exportFor({ onBehalfOf: customer.email, initiator: operator.email });
    expect((await getApproval(t.node, t.adminToken, id)).eligible).toEqual([customer.id]);
    expect((await vote(t.node, customer.token, id, 'approve')).status).toBe('approved');
  });

  it('is the initiator when the on-behalf-of person is not a Warden user (written user:<name> too)', async () => {
    for (const initiator of [operator.email, `user:${operator.email}`, operator.id]) {
      const id = await exportFor({ onBehalfOf: 'cus_1001', initiator });
      const view = await getApproval(t.node, t.adminToken, id);
      expect(view.eligible, initiator).toEqual([operator.id]);
    }
    const id = await exportFor({ onBehalfOf: 'cus_1001', initiator: operator.email });
    expect((await vote(t.node, operator.token, id, 'approve')).status).toBe('approved');
  });

  it('refuses at decide time when nobody can answer, opening no request', async () => {
    const requestsBefore = await t.node.storage.db.selectFrom('approval_requests').select('id').execute();
    for (const context of [
      { onBehalfOf: 'cus_1002' },
      { onBehalfOf: 'cus_1002', initiator: 'cus_1002' },
      {},
    ]) {
      const body = await decide(t.node, agentKey, 'crm.export', { rows: 10 }, context);
      expect(body.effect).toBe('deny');
      expect(body.code).toBe('no_eligible_approver');
      expect(body.approvalRequest).toBeNull();
      expect(body.reason).toContain("step 'approval' must be decided by the initiator");
    }
    const requestsAfter = await t.node.storage.db.selectFrom('approval_requests').select('id').execute();
    expect(requestsAfter).toHaveLength(requestsBefore.length);
    const decisions = await t.node.storage.db
      .selectFrom('decisions')
      .select(['effect', 'code'])
      .where('code', '=', 'no_eligible_approver')
      .execute();
    expect(decisions.length).toBeGreaterThanOrEqual(3);
    expect(decisions.every((d) => d.effect === 'deny')).toBe(true);
  });

  it('refuses a re-authentication step the same way', async () => {
    const body = await decide(
      t.node,
      agentKey,
      'payments.refund',
      { amount: 5000 },
      { onBehalfOf: 'cus_1003' },
    );
    expect(body).toMatchObject({ effect: 'deny', code: 'no_eligible_approver' });
  });

  it('leaves a step that others can decide to them', async () => {
    const id = await review(
      t.node,
      agentKey,
      'accounts.close',
      { account: 'a-1' },
      { onBehalfOf: 'cus_1004' },
    );
    expect((await getApproval(t.node, t.adminToken, id)).eligible).toEqual([lead.id]);
    expect((await vote(t.node, lead.token, id, 'approve')).status).toBe('approved');
  });

  it('still asks nothing of the initiator for a call no review rule matches', async () => {
    const body = await decide(
      t.node,
      agentKey,
      'payments.refund',
      { amount: 10 },
      { onBehalfOf: 'cus_1005' },
    );
    expect(body.effect).toBe('allow');
  });
});
