import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPerson, type Person, policyDir } from '../../server/test/approvals/sod-fixtures.js';
import { request } from '../../server/test/helpers/api.js';
import { seedAgent } from '../../server/test/helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../../server/test/helpers/test-node.js';
import { review, STEP_UP_POLICY } from '../../server/test/stepup/fixtures.js';
import type { Approval } from '../src/api/types.js';
import { approvalNeedsReauth, currentStepAsksReauth } from '../src/pages/approval/step-up.js';

// When the approval page asks for a re-authentication, read from requests a real node opened: a
// refund that asks the initiator to re-authenticate, and an export the initiator merely confirms.

describe('whose approval needs a re-authentication', () => {
  let t: TestNode;
  let customer: Person;
  let starter: Person;
  let key: string;

  beforeAll(async () => {
    t = await startTestNode('sqlite', { policyDir: await policyDir({ 'refunds.yaml': STEP_UP_POLICY }) });
    customer = await addPerson(t.node, ['viewer'], 'customer@example.test');
    starter = await addPerson(t.node, ['viewer'], 'starter@example.test');
    key = (await seedAgent(t.node)).key;
  });
  afterAll(() => t.close());

  async function approval(id: string): Promise<Approval> {
    const res = await request(t.node, 'GET', `/v1/approvals/${id}`, t.adminToken);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Approval;
  }

  it('asks the person the agent acts for, who stands for the initiator, and nobody else', async () => {
    const id = await review(
      t.node,
      key,
      'payments.refund',
      { amount: 1500 },
      { onBehalfOf: customer.email, initiator: starter.email },
    );
    const pending = await approval(id);
    expect(currentStepAsksReauth(pending)).toBe(true);
    expect(approvalNeedsReauth(pending, customer.id)).toBe(true);
    expect(approvalNeedsReauth(pending, starter.id)).toBe(false);

    // Settled (a deny needs no proof), nothing is asked any more.
    const denied = await request(t.node, 'POST', `/v1/approvals/${id}/deny`, customer.token, {});
    expect(denied.statusCode, denied.body).toBe(200);
    const settled = await approval(id);
    expect(currentStepAsksReauth(settled)).toBe(false);
    expect(approvalNeedsReauth(settled, customer.id)).toBe(false);
  });

  it('asks the initiator when the task names no one it acts for', async () => {
    const id = await review(t.node, key, 'payments.refund', { amount: 2000 }, { initiator: starter.email });
    expect(approvalNeedsReauth(await approval(id), starter.id)).toBe(true);
  });

  it('does not ask an initiator who only confirms', async () => {
    const id = await review(t.node, key, 'crm.export', {}, { onBehalfOf: customer.email });
    const pending = await approval(id);
    expect(pending.steps.find((s) => s.state === 'current')?.approvers).toEqual(['initiator']);
    expect(currentStepAsksReauth(pending)).toBe(false);
    expect(approvalNeedsReauth(pending, customer.id)).toBe(false);
  });
});
