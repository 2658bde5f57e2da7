import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WardenNode } from '../../src/main.js';
import { policyDir, stateOf } from '../approvals/sod-fixtures.js';
import { auditEventsOf, createOtherTenant, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { FakeProduct } from './fake-product.js';
import { decide, review, STEP_UP_POLICY } from './fixtures.js';

const HOOK_SECRET = 'a-shared-secret-of-at-least-32-characters!';

function callback(node: WardenNode, confirmation: { body: string; signature?: string }) {
  return node.app.inject({
    method: 'POST',
    url: '/v1/step-up/callback',
    headers: {
      'content-type': 'application/json',
      ...(confirmation.signature ? { 'warden-signature': confirmation.signature } : {}),
    },
    payload: confirmation.body,
  });
}

describe.each(DATABASES)('the step-up hook for end customers (%s)', (db) => {
  let t: TestNode;
  let product: FakeProduct;
  let hookUrl: string;
  let agent: { key: string; id: string };

  beforeAll(async () => {
    product = new FakeProduct(HOOK_SECRET);
    hookUrl = await product.start();
    t = await startTestNode(db, {
      policyDir: await policyDir({ 'refunds.yaml': STEP_UP_POLICY }),
      settings: { webhookRetryBaseMs: 10 },
    });
    const seeded = await seedAgent(t.node);
    agent = { key: seeded.key, id: seeded.agent.id };
  });
  afterAll(async () => {
    await t.close();
    await product.close();
  });

  /** A refund for an end customer; returns the approval id and the request the product received. */
  async function customerRefund(customer: string, amount = 1800) {
    const before = product.received.length;
    const id = await review(t.node, agent.key, 'payments.refund', { amount }, { onBehalfOf: customer });
    const received = await product.waitFor(before + 1);
    expect(received.body.approvalId).toBe(id);
    return { id, request: received.body };
  }

  it('is set, shown without its secret, and checked by admins only', async () => {
    expect((await request(t.node, 'GET', '/v1/step-up/hook', t.adminToken)).statusCode).toBe(404);
    const badUrl = await request(t.node, 'PUT', '/v1/step-up/hook', t.adminToken, {
      url: 'ftp://x',
      secret: HOOK_SECRET,
    });
    expect(badUrl.statusCode).toBe(400);
    expect(badUrl.json().error.message).toContain('body.url');
    const shortSecret = await request(t.node, 'PUT', '/v1/step-up/hook', t.adminToken, {
      url: hookUrl,
      secret: 'short',
    });
    expect(shortSecret.statusCode).toBe(400);
    expect(shortSecret.json().error.message).toContain('body.secret');
    const set = await request(t.node, 'PUT', '/v1/step-up/hook', t.adminToken, {
      url: hookUrl,
      secret: HOOK_SECRET,
    });
    expect(set.statusCode, set.body).toBe(200);
    const shown = await request(t.node, 'GET', '/v1/step-up/hook', t.adminToken);
    expect(shown.json().hook.url).toBe(hookUrl);
    expect(shown.body).not.toContain(HOOK_SECRET);
    const stored = await t.node.storage.db
      .selectFrom('step_up_hooks')
      .select('secret')
      .executeTakeFirstOrThrow();
    expect(stored.secret).not.toContain(HOOK_SECRET);
  });

  it('sends a signed request bound to the approval and digest, and takes the signed confirmation as the approval', async () => {
    const { id, request: sent } = await customerRefund('cus_42');
    const received = product.received.at(-1);
    expect(received?.signatureValid).toBe(true);
    expect(sent).toMatchObject({
      type: 'warden.step_up.request',
      subject: 'cus_42',
      tool: 'payments.refund',
      step: 'approval',
      callbackUrl: expect.stringMatching(/\/v1\/step-up\/callback$/),
    });
    const view = (await request(t.node, 'GET', `/v1/approvals/${id}`, t.adminToken)).json();
    expect(sent.actionDigest).toBe(view.actionDigest);

    const answer = await callback(t.node, product.confirmation(sent));
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.json().approval).toEqual({ id, status: 'approved' });
    const approve = (await auditEventsOf(t.node, id)).find((e) => e.type === 'approval.approve');
    expect(approve?.actor).toMatchObject({ type: 'system', id: 'step-up', onBehalfOf: 'cus_42' });

    // The agent uses the approval for exactly this call.
    const used = await request(t.node, 'POST', '/v1/decide', agent.key, {
      tool: 'payments.refund',
      args: view.context.action.args,
      approvalId: id,
    });
    expect(used.json()).toMatchObject({ effect: 'allow', code: 'approved' });
  });

  it('takes a refusal as a deny', async () => {
    const { id, request: sent } = await customerRefund('cus_43');
    const answer = await callback(t.node, product.confirmation(sent, 'deny'));
    expect(answer.json().approval).toEqual({ id, status: 'denied' });
  });

  it('refuses forged, stale, replayed and rebound confirmations, changing nothing', async () => {
    const { id, request: sent } = await customerRefund('cus_44');
    const before = await stateOf(t.node, id);
    const refusals: [string, { body: string; signature?: string }, number][] = [
      ['no signature', { body: product.confirmation(sent).body }, 401],
      ['another secret', product.confirmation(sent, 'approve', { secret: 'x'.repeat(40) }), 401],
      ['ten minutes old', product.confirmation(sent, 'approve', { atMs: Date.now() - 600_000 }), 401],
      ['from the future', product.confirmation(sent, 'approve', { atMs: Date.now() + 600_000 }), 401],
      [
        'unknown request',
        product.confirmation(sent, 'approve', { override: { requestId: 'sur_00000000000000000000000000' } }),
        401,
      ],
      ['another subject', product.confirmation(sent, 'approve', { override: { subject: 'cus_99' } }), 400],
      [
        'other arguments',
        product.confirmation(sent, 'approve', { override: { actionDigest: 'a'.repeat(64) } }),
        400,
      ],
      ['not JSON', { body: '{"requestId":', signature: 't=1,v1=00' }, 400],
      ['an unknown field', product.confirmation(sent, 'approve', { override: { extra: true } }), 400],
    ];
    for (const [why, confirmation, status] of refusals) {
      const res = await callback(t.node, confirmation);
      expect(res.statusCode, `${why}: ${res.body}`).toBe(status);
    }
    // A body changed after signing no longer matches its signature.
    const signed = product.confirmation(sent);
    const tampered = await callback(t.node, {
      body: signed.body.replace('"approve"', '"deny"'),
      signature: signed.signature,
    });
    expect(tampered.statusCode).toBe(401);
    expect(await stateOf(t.node, id)).toEqual(before);

    // The genuine confirmation works once; the same message again is a replay.
    expect((await callback(t.node, signed)).statusCode).toBe(200);
    const replay = await callback(t.node, signed);
    expect(replay.statusCode).toBe(409);
  });

  it("refuses a confirmation of one approval's request for another", async () => {
    const first = await customerRefund('cus_45');
    const second = await customerRefund('cus_45', 2200);
    const crossed = product.confirmation(first.request, 'approve', { override: { approvalId: second.id } });
    const res = await callback(t.node, crossed);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('body.approvalId');
    expect((await stateOf(t.node, second.id)).votes).toBe(0);
  });

  it('answers one of several racing confirmations', async () => {
    const { id, request: sent } = await customerRefund('cus_46');
    const signed = product.confirmation(sent);
    const answers = await Promise.all([1, 2, 3, 4].map(() => callback(t.node, signed)));
    expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(1);
    for (const a of answers.filter((a) => a.statusCode !== 200)) expect([409]).toContain(a.statusCode);
    expect((await stateOf(t.node, id)).votes).toBe(1);
  });

  it('retries a product that is briefly down', async () => {
    product.failFirst = 2;
    const { request: sent } = await customerRefund('cus_47');
    const row = await t.node.storage.db
      .selectFrom('step_up_requests')
      .selectAll()
      .where('id', '=', String(sent.requestId))
      .executeTakeFirstOrThrow();
    expect(row.subject).toBe('cus_47');
  });

  it('does not serve another tenant, and its admin sees no hook', async () => {
    const other = await createOtherTenant(t.node, `stepup-${db}`);
    expect((await request(t.node, 'GET', '/v1/step-up/hook', other.adminToken)).statusCode).toBe(404);
    expect((await request(t.node, 'DELETE', '/v1/step-up/hook', other.adminToken)).statusCode).toBe(404);
  });

  it('once removed, a customer-only review is refused when decided', async () => {
    expect((await request(t.node, 'DELETE', '/v1/step-up/hook', t.adminToken)).json()).toEqual({
      removed: true,
    });
    const body = await decide(
      t.node,
      agent.key,
      'payments.refund',
      { amount: 1900 },
      { onBehalfOf: 'cus_48' },
    );
    expect(body).toMatchObject({ effect: 'deny', code: 'no_eligible_approver', approvalRequest: null });
    expect(body.reason).toContain('"cus_48"');
  });
});
