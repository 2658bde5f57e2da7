import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeProof } from '../../src/stepup/reauth-proofs.js';
import { writeTransaction } from '../../src/storage/database.js';
import {
  addPerson,
  expectRefused,
  type Person,
  policyDir,
  stateOf,
  TestClock,
} from '../approvals/sod-fixtures.js';
import { auditEventsOf, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { review, STEP_UP_POLICY } from './fixtures.js';

const SECRET = 'correct horse battery staple';

describe.each(DATABASES)('step-up re-authentication of a Warden user (%s)', (db) => {
  let t: TestNode;
  const clock = new TestClock();
  let customer: Person;
  let bystander: Person;
  let agentKey: string;

  beforeAll(async () => {
    t = await startTestNode(db, {
      clock: clock.now,
      policyDir: await policyDir({ 'refunds.yaml': STEP_UP_POLICY }),
      settings: { reauthTtlSeconds: 120 },
    });
    customer = await addPerson(t.node, ['viewer'], `customer.${db}@example.test`);
    bystander = await addPerson(t.node, ['approver'], `bystander.${db}@example.test`);
    agentKey = (await seedAgent(t.node)).key;
    const set = await request(t.node, 'PUT', '/v1/me/reauth-secret', customer.token, { secret: SECRET });
    expect(set.statusCode, set.body).toBe(200);
  });
  afterAll(() => t.close());

  const refund = (amount = 1500) =>
    review(t.node, agentKey, 'payments.refund', { amount }, { onBehalfOf: customer.email });
  const mint = (id: string, secret = SECRET, token = customer.token) =>
    request(t.node, 'POST', `/v1/approvals/${id}/reauth`, token, { secret });
  const approve = (id: string, reauthProof?: string, token = customer.token) =>
    request(t.node, 'POST', `/v1/approvals/${id}/approve`, token, reauthProof ? { reauthProof } : {});
  const reauthRequired = { status: 403, code: 'reauth_required' };

  it('accepts a fresh proof, once, and records where it came from', async () => {
    const id = await refund();
    const view = await request(t.node, 'GET', `/v1/approvals/${id}`, t.adminToken);
    expect(view.json().steps[0].approvers).toEqual(['initiator+reauth']);
    expect(view.json().eligible).toEqual([customer.id]);

    // Holding the token is not enough.
    await expectRefused(t.node, customer.token, id, 'approve', reauthRequired);
    const refused = await approve(id);
    expect(refused.json().error.message).toContain('warden approvals approve');

    const minted = await mint(id);
    expect(minted.statusCode, minted.body).toBe(201);
    const { proof, expiresAt, proofId } = minted.json().reauth;
    expect(proof).toMatch(/^wdn_r_/);
    expect(Date.parse(expiresAt) - clock.now()).toBe(120_000);

    const approved = await approve(id, proof);
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json().status).toBe('approved');
    const vote = (await auditEventsOf(t.node, id)).find((e) => e.type === 'approval.approve');
    expect(vote?.payload?.reauth).toMatchObject({ source: 'reauth_secret', proofId });
    expect((await auditEventsOf(t.node, id)).map((e) => e.type)).toContain('approval.reauth');
  });

  it('refuses a stale proof', async () => {
    const id = await refund();
    const { proof } = (await mint(id)).json().reauth;
    clock.advance(121_000);
    const res = await approve(id, proof);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('reauth_required');
    expect(res.json().error.message).toContain('expired');
    expect((await stateOf(t.node, id)).votes).toBe(0);
    // A fresh one works.
    const again = await approve(id, (await mint(id)).json().reauth.proof);
    expect(again.json().status).toBe('approved');
  });

  it("refuses another approval's proof", async () => {
    const first = await refund();
    const second = await refund(2500);
    const { proof } = (await mint(first)).json().reauth;
    const res = await approve(second, proof);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.message).toContain(`minted for ${first}`);
    expect((await stateOf(t.node, second)).votes).toBe(0);
    // The refusal did not use it up: it still approves the request it was minted for.
    expect((await approve(first, proof)).json().status).toBe('approved');
  });

  it('lets one of two racing approvals with the same proof through', async () => {
    const id = await refund();
    const { proof } = (await mint(id)).json().reauth;
    const answers = await Promise.all([approve(id, proof), approve(id, proof), approve(id, proof)]);
    expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(1);
    for (const a of answers.filter((a) => a.statusCode !== 200)) expect([403, 409]).toContain(a.statusCode);
    expect((await stateOf(t.node, id)).votes).toBe(1);
  });

  it('refuses a proof that was already used, or that names other arguments or another human', async () => {
    const id = await refund();
    const { proof } = (await mint(id)).json().reauth;
    const row = await t.node.storage.db
      .selectFrom('approval_requests')
      .select(['tenant_id', 'action_digest'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const binding = {
      tenantId: row.tenant_id,
      approvalId: id,
      actionDigest: row.action_digest,
      humanId: customer.id,
    };
    const check = (b: typeof binding) =>
      writeTransaction(t.node.storage, (trx) => consumeProof(trx, b, proof, clock.now()));
    expect(await check({ ...binding, actionDigest: 'f'.repeat(64) })).toEqual({
      ok: false,
      reason: 'the re-authentication proof was minted for other arguments (action digest differs)',
    });
    expect((await check({ ...binding, humanId: bystander.id })).ok).toBe(false);
    expect((await check(binding)).ok).toBe(true);
    expect(await check(binding)).toEqual({
      ok: false,
      reason: 'the re-authentication proof was already used',
    });
    const res = await approve(id, proof);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.message).toContain('already used');
  });

  it('needs no proof to deny, and gives none to someone who is not the initiator', async () => {
    const id = await refund();
    expect((await mint(id, SECRET, bystander.token)).statusCode).toBe(403);
    const denied = await request(t.node, 'POST', `/v1/approvals/${id}/deny`, customer.token, {});
    expect(denied.json().status).toBe('denied');
    expect((await mint(id)).statusCode).toBe(409);
  });

  it('refuses a wrong secret and locks re-authentication after five', async () => {
    const id = await refund();
    for (let i = 0; i < 5; i++) {
      const wrong = await mint(id, 'not the secret at all');
      expect(wrong.statusCode).toBe(403);
      expect(wrong.json().error.code).toBe('reauth_required');
    }
    const locked = await mint(id);
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.message).toContain('locked');
    clock.advance(15 * 60_000 + 1);
    expect((await mint(id)).statusCode).toBe(201);
    const fails = await auditEventsOf(t.node, customer.id);
    expect(fails.filter((e) => e.type === 'human.reauth_fail')).toHaveLength(5);
  });

  it('changes a secret only with the current one; an admin clears a forgotten one', async () => {
    const other = await addPerson(t.node, ['viewer'], `other.${db}@example.test`);
    const put = (body: object) => request(t.node, 'PUT', '/v1/me/reauth-secret', other.token, body);
    const short = await put({ secret: 'short' });
    expect(short.statusCode).toBe(400);
    expect(short.json().error.message).toContain('body.secret');
    expect((await put({ secret: 'first secret here' })).statusCode).toBe(200);
    const noCurrent = await put({ secret: 'second secret here' });
    expect(noCurrent.statusCode).toBe(400);
    expect(noCurrent.json().error.message).toContain('body.currentSecret');
    expect((await put({ secret: 'second secret here', currentSecret: 'wrong one!!!' })).statusCode).toBe(403);
    expect((await put({ secret: 'second secret here', currentSecret: 'first secret here' })).statusCode).toBe(
      200,
    );
    expect(
      (await request(t.node, 'DELETE', `/v1/humans/${other.id}/reauth-secret`, other.token)).statusCode,
    ).toBe(403);
    const cleared = await request(t.node, 'DELETE', `/v1/humans/${other.id}/reauth-secret`, t.adminToken);
    expect(cleared.json()).toEqual({ reauthSecret: { set: false } });
    expect((await request(t.node, 'GET', '/v1/me/reauth-secret', other.token)).json()).toEqual({
      reauthSecret: { set: false },
    });
  });

  it('tells a human without a secret how to set one', async () => {
    const fresh = await addPerson(t.node, ['viewer'], `fresh.${db}@example.test`);
    const id = await review(
      t.node,
      agentKey,
      'payments.refund',
      { amount: 1200 },
      { onBehalfOf: fresh.email },
    );
    const res = await mint(id, SECRET, fresh.token);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.message).toContain('warden me reauth-secret');
  });

  it('refuses bad input naming the field, and agent keys', async () => {
    const id = await refund();
    const bad = await request(t.node, 'POST', `/v1/approvals/${id}/reauth`, customer.token, { secret: 5 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('secret');
    const agent = await request(t.node, 'POST', `/v1/approvals/${id}/reauth`, agentKey, { secret: SECRET });
    expect(agent.statusCode).toBe(403);
    expect(agent.json().error.code).toBe('separation_of_duties');
    const junk = await approve(id, 'wdn_r_not-a-proof');
    expect(junk.statusCode).toBe(403);
    expect(junk.json().error.message).toContain('malformed');
  });
});
