import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHuman, type Person } from '../approvals/approvals-fixtures.js';
import { createOtherTenant, type Method, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { agentStatus, countEvents, openRefund, statusOf, writeKillPolicy } from './kill-fixtures.js';

describe.each(DATABASES)('kill switch routes: input and access (%s)', (kind) => {
  let t: TestNode;
  let policyDir: string;
  let owner: Person;
  let viewer: Person;
  let approver: Person;
  let security: Person;
  let other: Awaited<ReturnType<typeof createOtherTenant>>;

  beforeAll(async () => {
    policyDir = await writeKillPolicy();
    t = await startTestNode(kind, { policyDir });
    owner = await createHuman(t.node, t.adminToken, ['owner']);
    viewer = await createHuman(t.node, t.adminToken, ['viewer']);
    approver = await createHuman(t.node, t.adminToken, ['approver', 'auditor']);
    security = await createHuman(t.node, t.adminToken, ['security']);
    other = await createOtherTenant(t.node);
  });
  afterAll(async () => {
    await t.close();
    await rm(policyDir, { recursive: true, force: true });
  });

  const frozen = async () =>
    (await request(t.node, 'GET', '/v1/kill/tenant', t.adminToken)).json().tenant.frozen as boolean;

  /** Every kill-switch route, with a body that would succeed. */
  const routes = async (): Promise<[Method, string, object | undefined][]> => {
    const agent = await seedAgent(t.node, { ownerId: owner.id });
    return [
      ['POST', `/v1/kill/agents/${agent.agent.id}`, { reason: 'x' }],
      ['POST', `/v1/kill/owners/${owner.id}`, { reason: 'x' }],
      ['POST', '/v1/kill/tenant', { reason: 'x' }],
      ['DELETE', '/v1/kill/tenant', undefined],
      ['GET', '/v1/kill/tenant', undefined],
    ];
  };

  it('refuses every route without a credential (401) and with an agent key (403), changing nothing', async () => {
    const agent = await seedAgent(t.node);
    for (const [method, url, body] of await routes()) {
      const anonymous = await request(t.node, method, url, undefined, body);
      expect(anonymous.statusCode, `${method} ${url}`).toBe(401);
      expect(anonymous.json().error.code).toBe('unauthenticated');
      const asAgent = await request(t.node, method, url, agent.key, body);
      expect(asAgent.statusCode, `${method} ${url}`).toBe(403);
    }
    expect(await frozen()).toBe(false);
    expect(await countEvents(t.node, 'agent.suspend')).toBe(0);
    expect(await countEvents(t.node, 'kill.owner')).toBe(0);
  });

  it('lets the owner, security and admins kill an agent, and nobody else', async () => {
    const refused = await seedAgent(t.node, { ownerId: owner.id });
    for (const person of [viewer, approver]) {
      const res = await request(t.node, 'POST', `/v1/kill/agents/${refused.agent.id}`, person.token, {
        reason: 'not mine',
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('forbidden');
    }
    expect(await agentStatus(t.node, refused.agent.id)).toBe('active');
    for (const token of [owner.token, security.token, t.adminToken]) {
      const agent = await seedAgent(t.node, { ownerId: owner.id });
      const res = await request(t.node, 'POST', `/v1/kill/agents/${agent.agent.id}`, token, {
        reason: 'stop',
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().agent.status).toBe('suspended');
    }
    // Without a body at all (the CLI without --reason).
    const bare = await seedAgent(t.node, { ownerId: owner.id });
    const res = await t.node.app.inject({
      method: 'POST',
      url: `/v1/kill/agents/${bare.agent.id}`,
      headers: { authorization: `Bearer ${owner.token}` },
    });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('lets only admin and security kill an owner or freeze; only admin thaw; anyone read the status', async () => {
    const agent = await seedAgent(t.node, { ownerId: owner.id });
    for (const person of [owner, viewer, approver]) {
      const killOwner = await request(t.node, 'POST', `/v1/kill/owners/${owner.id}`, person.token, {});
      expect(killOwner.statusCode).toBe(403);
      const freeze = await request(t.node, 'POST', '/v1/kill/tenant', person.token, { reason: 'x' });
      expect(freeze.statusCode).toBe(403);
      expect((await request(t.node, 'GET', '/v1/kill/tenant', person.token)).statusCode).toBe(200);
    }
    expect(await agentStatus(t.node, agent.agent.id)).toBe('active');
    expect(await frozen()).toBe(false);

    const byAdmin = await request(t.node, 'POST', `/v1/kill/owners/${owner.email}`, t.adminToken, {});
    expect(byAdmin.statusCode, byAdmin.body).toBe(200);
    expect(byAdmin.json().suspended.map((a: { id: string }) => a.id)).toContain(agent.agent.id);

    expect((await request(t.node, 'POST', '/v1/kill/tenant', t.adminToken, { reason: 'x' })).statusCode).toBe(
      200,
    );
    for (const person of [security, owner, viewer]) {
      expect((await request(t.node, 'DELETE', '/v1/kill/tenant', person.token)).statusCode).toBe(403);
    }
    expect(await frozen()).toBe(true);
    expect((await request(t.node, 'DELETE', '/v1/kill/tenant', t.adminToken)).statusCode).toBe(200);
    expect(await frozen()).toBe(false);
  });

  it('answers 404 for another tenant: its agents, its humans; a freeze there leaves this tenant alone', async () => {
    const agent = await seedAgent(t.node, { ownerId: owner.id });
    const killAgent = await request(t.node, 'POST', `/v1/kill/agents/${agent.agent.id}`, other.adminToken, {
      reason: 'not yours',
    });
    expect(killAgent.statusCode).toBe(404);
    const killOwner = await request(t.node, 'POST', `/v1/kill/owners/${owner.id}`, other.adminToken, {});
    expect(killOwner.statusCode).toBe(404);
    const byEmail = await request(t.node, 'POST', `/v1/kill/owners/${owner.email}`, other.adminToken, {});
    expect(byEmail.statusCode).toBe(404);
    expect(await agentStatus(t.node, agent.agent.id)).toBe('active');

    const theirs = await request(t.node, 'POST', '/v1/kill/tenant', other.adminToken, {
      reason: 'their drill',
    });
    expect(theirs.statusCode).toBe(200);
    expect(theirs.json().tenant.id).toBe(other.tenantId);
    expect(await frozen()).toBe(false);
    expect((await request(t.node, 'GET', '/v1/kill/tenant', other.adminToken)).json().tenant.frozen).toBe(
      true,
    );
    expect((await request(t.node, 'DELETE', '/v1/kill/tenant', other.adminToken)).statusCode).toBe(200);
  });

  it('answers bad input with 400 naming the field, and unknown targets with 404, changing nothing', async () => {
    const agent = await seedAgent(t.node, { ownerId: owner.id });
    const refund = await openRefund(t.node, agent.key);
    const cases: [string, string, object, string][] = [
      [`/v1/kill/agents/${agent.agent.id}`, 'reason too long', { reason: 'x'.repeat(501) }, 'body.reason'],
      [`/v1/kill/agents/${agent.agent.id}`, 'empty reason', { reason: '' }, 'body.reason'],
      [`/v1/kill/agents/${agent.agent.id}`, 'unknown field', { reason: 'x', force: true }, 'body.force'],
      ['/v1/kill/agents/agt_nope', 'malformed id', { reason: 'x' }, 'params.id'],
      [`/v1/kill/owners/${owner.id}`, 'reason not text', { reason: 7 }, 'body.reason'],
      ['/v1/kill/owners/not-a-person', 'neither id nor e-mail', {}, 'params.humanId'],
      ['/v1/kill/tenant', 'no reason', {}, 'body.reason'],
      ['/v1/kill/tenant', 'blank reason', { reason: '' }, 'body.reason'],
    ];
    for (const [url, what, body, field] of cases) {
      const res = await request(t.node, 'POST', url, t.adminToken, body);
      expect(res.statusCode, what).toBe(400);
      expect(res.json().error, what).toMatchObject({ code: 'invalid_request', details: { field } });
    }
    const unknownAgent = await request(
      t.node,
      'POST',
      '/v1/kill/agents/agt_01m7yc32ptdchr6skzt8txfecz',
      t.adminToken,
      {
        reason: 'x',
      },
    );
    expect(unknownAgent.statusCode).toBe(404);
    const unknownOwner = await request(
      t.node,
      'POST',
      '/v1/kill/owners/usr_01m7yc32anrrsn0gmr4p38tr3n',
      t.adminToken,
      {},
    );
    expect(unknownOwner.statusCode).toBe(404);
    expect(await agentStatus(t.node, agent.agent.id)).toBe('active');
    expect(await statusOf(t.node, refund)).toBe('pending');
    expect(await frozen()).toBe(false);
  });
});
