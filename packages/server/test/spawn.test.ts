import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHuman, auditEventsOf, createOtherTenant, type Method, request } from './helpers/api.js';
import { DATABASES, startTestNode, type TestNode } from './helpers/test-node.js';

interface Created {
  agent: { id: string; name: string; ownerId: string; status: string } & Record<string, unknown>;
  key: { id: string };
  secret: string;
}

describe.each(DATABASES)('POST /v1/agents/spawn (%s)', (db) => {
  let t: TestNode;
  let adminId: string;
  let other: { adminToken: string; adminId: string };
  let serial = 0;

  const call = (method: Method, url: string, token?: string, payload?: object) =>
    request(t.node, method, url, token, payload);

  const spawn = (secret: string | undefined, payload: object) =>
    call('POST', '/v1/agents/spawn', secret, payload);

  /** A parent registered (and, when it is not low risk, activated) by an admin. */
  async function createParent(
    overrides: Record<string, unknown> = {},
    admin: { token: string; id: string } = { token: t.adminToken, id: adminId },
  ): Promise<Created> {
    const res = await call('POST', '/v1/agents', admin.token, {
      name: `parent-${++serial}`,
      ownerId: admin.id,
      purpose: 'orchestrates',
      risk: 'internal',
      environments: ['sandbox', 'staging'],
      roles: ['researcher', 'writer'],
      maxChildren: 3,
      ...overrides,
    });
    expect(res.statusCode).toBe(201);
    const created = res.json() as Created;
    if (created.agent.status === 'pending') {
      // A risky parent is activated the way every risky agent is: security approves its registration.
      const security = await addHuman(t.node, ['security']);
      const listed = await call(
        'GET',
        `/v1/approvals?kind=registration&agentId=${created.agent.id}`,
        admin.token,
      );
      const approvalId = listed.json().approvals[0].id;
      const approved = await call('POST', `/v1/approvals/${approvalId}/approve`, security.token, {});
      expect(approved.statusCode).toBe(200);
      created.agent.status = 'active';
    }
    return created;
  }

  beforeAll(async () => {
    t = await startTestNode(db);
    adminId = t.node.bootstrap.created?.adminId ?? '';
    other = await createOtherTenant(t.node);
  });
  afterAll(() => t.close());

  it('registers a child that holds no more than its parent and answers to the same owner', async () => {
    const parent = await createParent({ labels: { team: 'research' } });
    const res = await spawn(parent.secret, {
      name: 'research-helper',
      purpose: 'searches papers',
      roles: ['researcher'],
      labels: { task: 'lit-review' },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.agent).toEqual({
      id: expect.stringMatching(/^agt_/),
      name: 'research-helper',
      ownerId: adminId,
      purpose: 'searches papers',
      risk: 'internal',
      riskLevel: 'low',
      environments: ['sandbox', 'staging'],
      tier: 'sandbox',
      roles: ['researcher'],
      labels: { task: 'lit-review' },
      parentId: parent.agent.id,
      maxChildren: 0,
      status: 'active',
      recertifyAt: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      lastActiveAt: null,
      rollbackUrl: null,
      breaker: null,
    });
    expect(body.key).toMatchObject({ id: expect.stringMatching(/^key_/), expiresAt: null });
    expect(body.secret).toMatch(/^wdn_a_/);
    // The child's key works: the child can in turn call agent routes.
    expect((await spawn(body.secret, {})).statusCode).toBe(400);

    const events = await auditEventsOf(t.node, [body.agent.id, body.key.id]);
    expect(events.map((e) => e.type)).toEqual(['agent.spawn', 'key.create']);
    for (const event of events) {
      expect(event.actor).toEqual({ type: 'agent', id: parent.agent.id });
      expect(event.row.body + JSON.stringify(event.payload)).not.toContain(body.secret);
    }
    const got = await call('GET', `/v1/agents/${parent.agent.id}`, t.adminToken);
    expect(got.json().children).toEqual([body.agent.id]);
  });

  it("inherits the parent's risk; a risky child waits for its registration approval", async () => {
    const parent = await createParent({ risk: 'pii', environments: ['production'] });
    const res = await spawn(parent.secret, { name: `risky-${++serial}`, purpose: 'reads customer records' });
    expect(res.statusCode).toBe(201);
    expect(res.json().agent).toMatchObject({
      risk: 'pii',
      riskLevel: 'medium',
      status: 'pending',
      environments: ['production'],
    });
    const registration = await call(
      'GET',
      `/v1/approvals?kind=registration&agentId=${res.json().agent.id}`,
      t.adminToken,
    );
    expect(registration.json().approvals[0]).toMatchObject({
      status: 'pending',
      requester: { type: 'agent', id: parent.agent.id },
      steps: [{ name: 'security' }],
    });
    const low = await spawn(parent.secret, { name: `low-${++serial}`, purpose: 'x', risk: 'public' });
    expect(low.json().agent).toMatchObject({ risk: 'public', status: 'active' });
  });

  it('refuses roles, environments and child limits the parent does not hold, with 403 naming them', async () => {
    const parent = await createParent({ maxChildren: 2 });
    const role = await spawn(parent.secret, {
      name: `c-${++serial}`,
      purpose: 'x',
      roles: ['researcher', 'admin-bot'],
    });
    expect(role.statusCode).toBe(403);
    expect(role.json().error.message).toContain('admin-bot');
    const env = await spawn(parent.secret, {
      name: `c-${++serial}`,
      purpose: 'x',
      environments: ['production'],
    });
    expect(env.statusCode).toBe(403);
    expect(env.json().error.message).toContain('production');
    const limit = await spawn(parent.secret, { name: `c-${++serial}`, purpose: 'x', maxChildren: 3 });
    expect(limit.statusCode).toBe(403);
    expect(limit.json().error.details.field).toBe('body.maxChildren');
    const fine = await spawn(parent.secret, { name: `c-${++serial}`, purpose: 'x', maxChildren: 2 });
    expect(fine.statusCode).toBe(201);
    expect((await call('GET', `/v1/agents/${parent.agent.id}`, t.adminToken)).json().children).toHaveLength(
      1,
    );
  });

  it('enforces maxChildren with 409; retired children do not count', async () => {
    const parent = await createParent({ maxChildren: 1 });
    const first = await spawn(parent.secret, { name: `only-${++serial}`, purpose: 'x' });
    expect(first.statusCode).toBe(201);
    const second = await spawn(parent.secret, { name: `second-${++serial}`, purpose: 'x' });
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('conflict');
    const retired = await call('POST', `/v1/agents/${first.json().agent.id}/retire`, t.adminToken, {});
    expect(retired.statusCode).toBe(200);
    expect((await spawn(parent.secret, { name: `third-${++serial}`, purpose: 'x' })).statusCode).toBe(201);
  });

  it('refuses a parent that is not active', async () => {
    const pending = await call('POST', '/v1/agents', t.adminToken, {
      name: `pending-${++serial}`,
      ownerId: adminId,
      purpose: 'x',
      risk: 'phi',
      environments: ['sandbox'],
      maxChildren: 2,
    });
    expect(pending.json().agent.status).toBe('pending');
    const res = await spawn(pending.json().secret, { name: `c-${++serial}`, purpose: 'x' });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.message).toContain('pending');

    const parent = await createParent();
    await call('POST', `/v1/agents/${parent.agent.id}/suspend`, t.adminToken, { reason: 'investigation' });
    const suspended = await spawn(parent.secret, { name: `c-${++serial}`, purpose: 'x' });
    expect(suspended.statusCode).toBe(403);
    expect(suspended.json().error.message).toContain('suspended');
  });

  it('refuses a taken name with 409 and bad input with 400 naming the field', async () => {
    const parent = await createParent();
    const taken = await spawn(parent.secret, { name: parent.agent.name, purpose: 'x' });
    expect(taken.statusCode).toBe(409);
    for (const [payload, field] of [
      [{ purpose: 'x' }, 'body.name'],
      [{ name: 'ok-name' }, 'body.purpose'],
      [{ name: 'ok-name', purpose: 'x', ownerId: adminId }, 'body.ownerId'],
      [{ name: 'ok-name', purpose: 'x', tier: 'trusted' }, 'body.tier'],
      [{ name: 'ok-name', purpose: 'x', environments: [] }, 'body.environments'],
    ] as const) {
      const res = await spawn(parent.secret, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.details.field).toBe(field);
    }
    expect((await call('GET', `/v1/agents/${parent.agent.id}`, t.adminToken)).json().children).toEqual([]);
  });

  it('refuses no credential and human tokens; a child lands in its parent tenant only', async () => {
    expect((await spawn(undefined, { name: 'x', purpose: 'x' })).statusCode).toBe(401);
    const human = await spawn(t.adminToken, { name: 'x', purpose: 'x' });
    expect(human.statusCode).toBe(403);
    expect(human.json().error.code).toBe('forbidden');

    const foreignParent = await createParent({}, { token: other.adminToken, id: other.adminId });
    const res = await spawn(foreignParent.secret, { name: `foreign-${++serial}`, purpose: 'x' });
    expect(res.statusCode).toBe(201);
    expect(res.json().agent.ownerId).toBe(other.adminId);
    expect((await call('GET', `/v1/agents/${res.json().agent.id}`, t.adminToken)).statusCode).toBe(404);
    expect((await call('GET', `/v1/agents/${res.json().agent.id}`, other.adminToken)).statusCode).toBe(200);
  });

  it('holds the child limit exactly under concurrency: 10 parallel spawns, limit 3, exactly 3 succeed', async () => {
    const parent = await createParent({ maxChildren: 3 });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        spawn(parent.secret, { name: `${parent.agent.name}-race-${i}`, purpose: 'x' }),
      ),
    );
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([201, 201, 201, 409, 409, 409, 409, 409, 409, 409]);
    const children = await t.node.storage.db
      .selectFrom('agents')
      .select('id')
      .where('parent_id', '=', parent.agent.id)
      .execute();
    expect(children).toHaveLength(3);
    const spawnEvents = await t.node.storage.db
      .selectFrom('audit_events')
      .select('id')
      .where('type', '=', 'agent.spawn')
      .where(
        'subject_id',
        'in',
        children.map((c) => c.id),
      )
      .execute();
    expect(spawnEvents).toHaveLength(3);
  });
});
