import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WardenNode } from '../../src/main.js';
import { addPerson, type Person, policyDir, stateOf } from '../approvals/sod-fixtures.js';
import { request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { FakeProduct } from './fake-product.js';
import { review, STEP_UP_POLICY } from './fixtures.js';

const SECRET = 'correct horse battery staple';
const HOOK_SECRET = 'another-shared-secret-of-32-characters-or-more';

/** Two nodes on one PostgreSQL schema: a proof and a hook confirmation are used once across them. */
describe('step-up on two nodes (postgres)', () => {
  let a: TestNode;
  let b: TestNode;
  let product: FakeProduct;
  let customer: Person;
  let agentKey: string;

  beforeAll(async () => {
    product = new FakeProduct(HOOK_SECRET);
    const hookUrl = await product.start();
    const dir = await policyDir({ 'refunds.yaml': STEP_UP_POLICY });
    a = await startTestNode('postgres', { policyDir: dir });
    b = await startTestNode('postgres', { policyDir: dir, shared: a.database });
    customer = await addPerson(a.node, ['viewer'], 'customer.two-nodes@example.test');
    agentKey = (await seedAgent(a.node)).key;
    expect(
      (await request(a.node, 'PUT', '/v1/me/reauth-secret', customer.token, { secret: SECRET })).statusCode,
    ).toBe(200);
    const hook = await request(a.node, 'PUT', '/v1/step-up/hook', a.adminToken, {
      url: hookUrl,
      secret: HOOK_SECRET,
    });
    expect(hook.statusCode, hook.body).toBe(200);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    await product.close();
  });

  const approve = (node: WardenNode, id: string, reauthProof: string) =>
    request(node, 'POST', `/v1/approvals/${id}/approve`, customer.token, { reauthProof });

  it('lets one approval through when both nodes race with the same proof', async () => {
    for (let round = 0; round < 5; round++) {
      const id = await review(
        a.node,
        agentKey,
        'payments.refund',
        { amount: 1500 + round },
        { onBehalfOf: customer.email },
      );
      const minted = await request(b.node, 'POST', `/v1/approvals/${id}/reauth`, customer.token, {
        secret: SECRET,
      });
      const { proof } = minted.json().reauth;
      const answers = await Promise.all([
        approve(a.node, id, proof),
        approve(b.node, id, proof),
        approve(a.node, id, proof),
        approve(b.node, id, proof),
      ]);
      expect(answers.filter((r) => r.statusCode === 200)).toHaveLength(1);
      expect((await stateOf(a.node, id)).votes).toBe(1);
    }
  });

  it('takes a confirmation once when it reaches both nodes at the same time', async () => {
    const id = await review(
      a.node,
      agentKey,
      'payments.refund',
      { amount: 2500 },
      { onBehalfOf: 'cus_two_nodes' },
    );
    const sent = (await product.waitFor(1)).body;
    expect(sent.approvalId).toBe(id);
    const signed = product.confirmation(sent);
    const send = (node: WardenNode) =>
      node.app.inject({
        method: 'POST',
        url: '/v1/step-up/callback',
        headers: { 'content-type': 'application/json', 'warden-signature': signed.signature },
        payload: signed.body,
      });
    const answers = await Promise.all([send(a.node), send(b.node), send(a.node), send(b.node)]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 409, 409, 409]);
    expect((await stateOf(b.node, id)).status).toBe('approved');
  });
});
