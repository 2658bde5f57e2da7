import { rm } from 'node:fs/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBudget } from '../budgets/budget-fixtures.js';
import { auditEventsOf, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import {
  createGroup,
  createHumans,
  decide,
  getApproval,
  openRequest,
  type Person,
  voteOk,
  writePolicyDir,
} from './approvals-fixtures.js';

/**
 * Using an approval is part of the decision's write: the approval is consumed, and `approval.use`
 * audited, exactly when the decision that used it is recorded.
 */
describe.each(DATABASES)('approval redemption is one write with its decision (%s)', (kind) => {
  let policyDir: string;
  let t: TestNode;
  let lead: Person;
  let agent: { agent: { id: string }; key: string };

  beforeAll(async () => {
    policyDir = await writePolicyDir();
    t = await startTestNode(kind, { policyDir });
    [lead] = (await createHumans(t.node, t.adminToken, 1)) as [Person];
    await createGroup(t.node, t.adminToken, 'support-leads', [lead]);
    agent = await seedAgent(t.node);
  });
  afterAll(async () => {
    await t?.close();
    await rm(policyDir, { recursive: true, force: true });
  });

  const decisionsOf = (agentId: string) =>
    t.node.storage.db
      .selectFrom('decisions')
      .select(['id', 'effect', 'code'])
      .where('agent_id', '=', agentId)
      .execute();

  /** Storage refuses every new decision row for `tool`, as a failing disk or constraint would. */
  async function rejectDecisions(tool: string): Promise<() => Promise<void>> {
    const db = t.node.storage.db;
    if (kind === 'sqlite') {
      await sql
        .raw(
          `create trigger reject_decision before insert on decisions when new.tool = '${tool}' begin select raise(abort, 'injected failure'); end`,
        )
        .execute(db);
      return async () => void (await sql.raw('drop trigger reject_decision').execute(db));
    }
    await sql
      .raw(
        `create function reject_decision() returns trigger as $$ begin raise exception 'injected failure'; end $$ language plpgsql`,
      )
      .execute(db);
    await sql
      .raw(
        `create trigger reject_decision before insert on decisions for each row when (new.tool = '${tool}') execute function reject_decision()`,
      )
      .execute(db);
    return async () => {
      await sql.raw('drop trigger reject_decision on decisions').execute(db);
      await sql.raw('drop function reject_decision()').execute(db);
    };
  }

  it('leaves the approval unused when the decision using it cannot be recorded', async () => {
    const args = { amount: 900, order: 'o-atomic' };
    const id = await openRequest(t.node, agent.key, 'payments.refund', args);
    await voteOk(t.node, lead.token, id, 'approve');
    const before = await decisionsOf(agent.agent.id);
    const eventsBefore = await auditEventsOf(t.node, id);

    const restore = await rejectDecisions('payments.refund');
    let failed: Awaited<ReturnType<typeof request>>;
    try {
      failed = await request(t.node, 'POST', '/v1/decide', agent.key, {
        tool: 'payments.refund',
        args,
        approvalId: id,
      });
    } finally {
      await restore();
    }
    expect(failed.statusCode).toBe(503);
    expect(failed.json().error).toMatchObject({
      code: 'governance_unavailable',
      details: { effect: 'deny' },
    });
    const shown = await getApproval(t.node, t.adminToken, id);
    expect(shown.consumedAt).toBeNull();
    expect(shown.consumedBy).toBeNull();
    expect(await decisionsOf(agent.agent.id)).toEqual(before);
    expect(await auditEventsOf(t.node, id)).toHaveLength(eventsBefore.length);

    // The approval is still good for its one call.
    const used = await decide(t.node, agent.key, 'payments.refund', args, { approvalId: id });
    expect(used).toMatchObject({ effect: 'allow', code: 'approved' });
    expect((await getApproval(t.node, t.adminToken, id)).consumedBy).toBe(used.decisionId);
    expect(
      (await auditEventsOf(t.node, id)).map((e) => e.type).filter((type) => type === 'approval.use'),
    ).toHaveLength(1);
  });

  it('lets one of two simultaneous calls use an approval; the other is recorded as approval_used', async () => {
    const args = { amount: 1200, order: 'o-pair' };
    const id = await openRequest(t.node, agent.key, 'payments.refund', args);
    await voteOk(t.node, lead.token, id, 'approve');
    const answers = await Promise.all([
      decide(t.node, agent.key, 'payments.refund', args, { approvalId: id }),
      decide(t.node, agent.key, 'payments.refund', args, { approvalId: id }),
    ]);
    const winner = answers.find((a) => a.effect === 'allow');
    const loser = answers.find((a) => a.effect === 'deny');
    expect(winner).toMatchObject({ code: 'approved', approvalRequest: { id } });
    expect(loser?.code).toBe('approval_used');
    expect(loser?.reason).toContain(winner?.decisionId);
    expect((await getApproval(t.node, t.adminToken, id)).consumedBy).toBe(winner?.decisionId);

    const rows = await t.node.storage.db
      .selectFrom('decisions')
      .select(['id', 'effect', 'code'])
      .where(
        'id',
        'in',
        answers.map((a) => a.decisionId),
      )
      .execute();
    expect(rows.map((r) => [r.id, r.effect, r.code]).sort()).toEqual(
      answers.map((a) => [a.decisionId, a.effect, a.code]).sort(),
    );
    const events = await auditEventsOf(t.node, [id, ...answers.map((a) => a.decisionId)]);
    expect(events.filter((e) => e.type === 'approval.use')).toHaveLength(1);
    expect(events.find((e) => e.subject.id === winner?.decisionId)?.type).toBe('decision.allow');
    const denied = events.find((e) => e.subject.id === loser?.decisionId);
    expect(denied?.type).toBe('decision.deny');
    expect(denied?.payload).toMatchObject({ code: 'approval_used' });
  });

  it('leaves the approval unused when a hard budget refuses the call; the deny is recorded once', async () => {
    const spender = await seedAgent(t.node);
    await createBudget(t.node, t.adminToken, {
      scope: 'agent',
      agentId: spender.agent.id,
      period: 'day',
      unit: 'usd',
      limit: 1,
    });
    const args = { amount: 800, order: 'o-budget' };
    const id = await openRequest(t.node, spender.key, 'payments.refund', args);
    await voteOk(t.node, lead.token, id, 'approve');
    const refused = await request(t.node, 'POST', '/v1/decide', spender.key, {
      tool: 'payments.refund',
      args,
      approvalId: id,
      estimate: { usd: 5 },
    });
    expect(refused.statusCode, refused.body).toBe(200);
    expect(refused.json()).toMatchObject({ effect: 'deny', code: 'budget_exceeded', approvalRequest: null });
    expect((await getApproval(t.node, t.adminToken, id)).consumedAt).toBeNull();
    const events = await auditEventsOf(t.node, [id, refused.json().decisionId]);
    expect(
      events.map((e) => e.type).filter((type) => type.startsWith('decision.') || type === 'approval.use'),
    ).toEqual(['decision.deny']);
    expect(events.find((e) => e.type === 'decision.deny')?.payload).toMatchObject({
      code: 'budget_exceeded',
      budget: { unit: 'usd', asked: 5_000_000 },
    });

    const used = await decide(t.node, spender.key, 'payments.refund', args, { approvalId: id });
    expect(used).toMatchObject({ effect: 'allow', code: 'approved' });
  });
});
