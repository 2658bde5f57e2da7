import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEventsOf } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import {
  count,
  createGroup,
  createHumans,
  decide,
  getApproval,
  openRequest,
  type Person,
  vote,
  voteOk,
  writePolicyDir,
} from './approvals-fixtures.js';

/**
 * Decisions that arrive together: the request's row is locked and versioned, so the first valid
 * decision wins, the others are told it is settled, and an approval is used at most once.
 */
describe.each(DATABASES)('approval races (%s)', (kind) => {
  let policyDir: string;
  let t: TestNode;
  let crowd: Person[];
  let stewards: Person[];
  let agentA: { agent: { id: string }; key: string };
  let agentB: { agent: { id: string }; key: string };

  beforeAll(async () => {
    policyDir = await writePolicyDir();
    t = await startTestNode(kind, { policyDir });
    crowd = await createHumans(t.node, t.adminToken, 20);
    stewards = await createHumans(t.node, t.adminToken, 3);
    await createGroup(t.node, t.adminToken, 'support-leads', crowd);
    await createGroup(t.node, t.adminToken, 'stewards', stewards);
    agentA = await seedAgent(t.node);
    agentB = await seedAgent(t.node);
  });
  afterAll(async () => {
    await t?.close();
    await rm(policyDir, { recursive: true, force: true });
  });

  const votesOf = (id: string) =>
    t.node.storage.db.selectFrom('approval_votes').selectAll().where('request_id', '=', id).execute();

  for (const round of [1, 2, 3]) {
    it(`lets exactly one of 20 simultaneous approvers and deniers win (round ${round})`, async () => {
      const id = await openRequest(t.node, agentA.key, 'payments.refund', { amount: 1000 + round });
      const verdicts = crowd.map(
        (_, i) => ((i + round) % 2 === 0 ? 'approve' : 'deny') as 'approve' | 'deny',
      );
      const answers = await Promise.all(
        crowd.map((p, i) => vote(t.node, p.token, id, verdicts[i] ?? 'deny')),
      );

      const statuses = answers.map((a) => a.statusCode);
      expect(count(statuses, 200)).toBe(1);
      expect(count(statuses, 409)).toBe(19);
      for (const lost of answers.filter((a) => a.statusCode === 409)) {
        expect(lost.json().error.code).toBe('conflict');
      }
      const winner = statuses.indexOf(200);
      const expected = verdicts[winner] === 'approve' ? 'approved' : 'denied';
      const settled = await getApproval(t.node, t.adminToken, id);
      expect(settled).toMatchObject({ status: expected, decidedBy: crowd[winner]?.id });
      expect(answers[winner]?.json().status).toBe(expected);

      const types = (await auditEventsOf(t.node, id)).map((e) => e.type);
      expect(count(types, 'approval.grant') + count(types, 'approval.reject')).toBe(1);
      expect(count(types, expected === 'approved' ? 'approval.grant' : 'approval.reject')).toBe(1);
      expect(count(types, 'approval.approve') + count(types, 'approval.deny')).toBe(1);
      const votes = await votesOf(id);
      expect(votes).toHaveLength(1);
      expect(votes[0]?.human_id).toBe(crowd[winner]?.id);
    });
  }

  it('counts a human who approves twice at once only once (required: 1): one 200, one 409', async () => {
    const id = await openRequest(t.node, agentA.key, 'payments.refund', { amount: 1500 });
    const approver = crowd[0] as Person;
    const answers = await Promise.all([
      vote(t.node, approver.token, id, 'approve'),
      vote(t.node, approver.token, id, 'approve'),
    ]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
    expect(await votesOf(id)).toHaveLength(1);
    expect((await getApproval(t.node, t.adminToken, id)).status).toBe('approved');
  });

  it('counts a human who approves twice at once only once (required: 2): the second is separation_of_duties', async () => {
    const id = await openRequest(t.node, agentA.key, 'crm.records.export', { table: 'orders' });
    const steward = stewards[0] as Person;
    const answers = await Promise.all([
      vote(t.node, steward.token, id, 'approve'),
      vote(t.node, steward.token, id, 'approve'),
    ]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 403]);
    expect(answers.find((a) => a.statusCode === 403)?.json().error.code).toBe('separation_of_duties');
    expect(await votesOf(id)).toHaveLength(1);
    const shown = await getApproval(t.node, t.adminToken, id);
    expect(shown.status).toBe('pending');
    expect(shown.steps[0]?.approvals).toBe(1);
  });

  it('lets one of many simultaneous calls redeem an approval; the rest are refused', async () => {
    const args = { amount: 2000, order: 'o-race' };
    const id = await openRequest(t.node, agentA.key, 'payments.refund', args);
    await voteOk(t.node, (crowd[1] as Person).token, id, 'approve');
    const answers = await Promise.all([
      ...Array.from({ length: 10 }, () =>
        decide(t.node, agentA.key, 'payments.refund', args, { approvalId: id }),
      ),
      ...Array.from({ length: 3 }, () =>
        decide(t.node, agentB.key, 'payments.refund', args, { approvalId: id }),
      ),
    ]);
    const mine = answers.slice(0, 10);
    const theirs = answers.slice(10);
    expect(mine.filter((a) => a.effect === 'allow')).toHaveLength(1);
    expect(mine.find((a) => a.effect === 'allow')?.code).toBe('approved');
    expect(mine.filter((a) => a.effect === 'deny').map((a) => a.code)).toEqual(
      Array(9).fill('approval_used'),
    );
    expect(theirs.map((a) => [a.effect, a.code])).toEqual(Array(3).fill(['deny', 'approval_mismatch']));

    const winner = mine.find((a) => a.effect === 'allow');
    expect((await getApproval(t.node, t.adminToken, id)).consumedBy).toBe(winner?.decisionId);
    const types = (await auditEventsOf(t.node, id)).map((e) => e.type);
    expect(count(types, 'approval.use')).toBe(1);
  });
});
