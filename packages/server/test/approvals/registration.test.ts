import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEventsOf, createOtherTenant, request } from '../helpers/api.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { type ApprovalBody, addPerson, createGroup, type Person, vote } from './sod-fixtures.js';

interface Created {
  agent: { id: string; status: string; risk: string };
  secret: string;
}

describe.each(DATABASES)('agent registration requests (%s)', (db) => {
  let t: TestNode;
  let adminId: string;
  let security: Person;
  let owner: Person;
  let serial = 0;

  beforeAll(async () => {
    // Registration needs no policy; without one every call is denied, which the tests rely on.
    t = await startTestNode(db, { policyDir: null });
    adminId = t.node.bootstrap.created?.adminId ?? '';
    // Neither a security nor a legal group exists here: the security role and the admins decide.
    security = await addPerson(t.node, ['security'], `sec.${db}@example.test`);
    owner = await addPerson(t.node, ['owner'], `owner.${db}@example.test`);
  });
  afterAll(() => t.close());

  async function createAgent(
    risk: string,
    options: { token?: string; ownerId?: string; maxChildren?: number } = {},
  ): Promise<Created> {
    const res = await request(t.node, 'POST', '/v1/agents', options.token ?? t.adminToken, {
      name: `reg-agent-${++serial}`,
      ownerId: options.ownerId ?? adminId,
      purpose: 'tests registration',
      risk,
      environments: ['staging'],
      ...(options.maxChildren ? { maxChildren: options.maxChildren } : {}),
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as Created;
  }

  async function registrationsOf(agentId: string, token = t.adminToken): Promise<ApprovalBody[]> {
    const res = await request(t.node, 'GET', `/v1/approvals?kind=registration&agentId=${agentId}`, token);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { approvals: ApprovalBody[] }).approvals;
  }

  async function pendingRegistration(agentId: string): Promise<ApprovalBody> {
    const list = await registrationsOf(agentId);
    const pending = list.filter((a) => a.status === 'pending');
    expect(pending).toHaveLength(1);
    return pending[0] as ApprovalBody;
  }

  async function statusOf(agentId: string): Promise<string> {
    const res = await request(t.node, 'GET', `/v1/agents/${agentId}`, t.adminToken);
    expect(res.statusCode).toBe(200);
    return res.json().agent.status as string;
  }

  async function decideCode(key: string): Promise<string> {
    const res = await request(t.node, 'POST', '/v1/decide', key, { tool: 'kb.articles.read' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().effect).toBe('deny');
    return res.json().code as string;
  }

  it('keeps a medium-risk agent pending until security approves its registration', async () => {
    const { agent, secret } = await createAgent('pii');
    expect(agent.status).toBe('pending');
    const registration = await pendingRegistration(agent.id);
    expect(registration).toMatchObject({
      kind: 'registration',
      status: 'pending',
      agentId: agent.id,
      requester: { type: 'human', id: adminId },
      currentStep: 'security',
      eligible: [security.id],
    });
    expect(registration.steps.map((s) => [s.name, s.approvers, s.state])).toEqual([
      ['security', ['group:security'], 'current'],
    ]);
    expect(await decideCode(secret)).toBe('agent_pending');

    const done = await vote(t.node, security.token, registration.id, 'approve');
    expect(done.status).toBe('approved');
    expect(await statusOf(agent.id)).toBe('active');
    // Active now: the call is judged by policy (none here), no longer refused as pending.
    expect(await decideCode(secret)).toBe('no_policy');
    const activation = (await auditEventsOf(t.node, agent.id)).filter((e) => e.type === 'agent.activate');
    expect(activation).toHaveLength(1);
    expect(activation[0]?.actor).toEqual({ type: 'human', id: security.id });
  });

  it('sends a high-risk agent to security, then legal (the admins when no legal group exists)', async () => {
    const { agent } = await createAgent('financial', { token: owner.token, ownerId: owner.id });
    expect(agent.status).toBe('pending');
    const registration = await pendingRegistration(agent.id);
    expect(registration.steps.map((s) => [s.name, s.approvers, s.state])).toEqual([
      ['security', ['group:security'], 'current'],
      ['legal', ['group:legal'], 'waiting'],
    ]);
    // Admins are not security: they wait for the legal step.
    const early = await request(t.node, 'POST', `/v1/approvals/${registration.id}/approve`, t.adminToken, {});
    expect(early.statusCode).toBe(403);
    expect(early.json().error.code).toBe('forbidden');

    const secured = await vote(t.node, security.token, registration.id, 'approve');
    expect(secured).toMatchObject({ status: 'pending', currentStep: 'legal', eligible: [adminId] });
    expect(await statusOf(agent.id)).toBe('pending');
    const done = await vote(t.node, t.adminToken, registration.id, 'approve');
    expect(done.status).toBe('approved');
    expect(await statusOf(agent.id)).toBe('active');
  });

  it('activates a low-risk agent at once, without a request', async () => {
    const { agent } = await createAgent('internal');
    expect(agent.status).toBe('active');
    expect(await registrationsOf(agent.id)).toEqual([]);
  });

  it("answers an admin's activate with 409 naming the pending registration", async () => {
    const { agent } = await createAgent('pii');
    const registration = await pendingRegistration(agent.id);
    const res = await request(t.node, 'POST', `/v1/agents/${agent.id}/activate`, t.adminToken, {});
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().error.code).toBe('conflict');
    expect(res.json().error.details.approvalId).toBe(registration.id);
    expect(await registrationsOf(agent.id)).toHaveLength(1);
    expect(await statusOf(agent.id)).toBe('pending');
  });

  it('leaves a denied agent pending; a later activate opens a new request', async () => {
    const { agent } = await createAgent('pii');
    const first = await pendingRegistration(agent.id);
    expect((await vote(t.node, security.token, first.id, 'deny')).status).toBe('denied');
    expect(await statusOf(agent.id)).toBe('pending');
    expect((await auditEventsOf(t.node, agent.id)).map((e) => e.type)).not.toContain('agent.activate');

    const res = await request(t.node, 'POST', `/v1/agents/${agent.id}/activate`, t.adminToken, {});
    expect(res.statusCode, res.body).toBe(409);
    const secondId = res.json().error.details.approvalId as string;
    expect(secondId).toMatch(/^apr_/);
    expect(secondId).not.toBe(first.id);
    const second = await pendingRegistration(agent.id);
    expect(second.id).toBe(secondId);
    expect(second.requester).toEqual({ type: 'human', id: adminId });
    expect((await registrationsOf(agent.id)).map((a) => [a.id, a.status])).toEqual([
      [secondId, 'pending'],
      [first.id, 'denied'],
    ]);
    expect((await vote(t.node, security.token, secondId, 'approve')).status).toBe('approved');
    expect(await statusOf(agent.id)).toBe('active');
  });

  it('opens a registration request for a medium-risk child an active agent spawns', async () => {
    const parent = await createAgent('internal', { maxChildren: 2 });
    const res = await request(t.node, 'POST', '/v1/agents/spawn', parent.secret, {
      name: `reg-child-${++serial}`,
      purpose: 'handles customer records',
      risk: 'pii',
    });
    expect(res.statusCode, res.body).toBe(201);
    const child = res.json() as Created;
    expect(child.agent.status).toBe('pending');
    const registration = await pendingRegistration(child.agent.id);
    expect(registration).toMatchObject({
      requester: { type: 'agent', id: parent.agent.id },
      currentStep: 'security',
    });
    expect(await decideCode(child.secret)).toBe('agent_pending');
    expect((await vote(t.node, security.token, registration.id, 'approve')).status).toBe('approved');
    expect(await statusOf(child.agent.id)).toBe('active');
  });

  it('puts an active agent back to pending when its owner raises its risk to pii', async () => {
    const { agent, secret } = await createAgent('internal', { token: owner.token, ownerId: owner.id });
    expect(agent.status).toBe('active');
    const res = await request(t.node, 'PATCH', `/v1/agents/${agent.id}`, owner.token, { risk: 'pii' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().agent).toMatchObject({ risk: 'pii', status: 'pending' });
    const registration = await pendingRegistration(agent.id);
    expect(registration.requester).toEqual({ type: 'human', id: owner.id });
    expect(registration.steps.map((s) => s.name)).toEqual(['security']);
    expect(await decideCode(secret)).toBe('agent_pending');
    expect((await vote(t.node, security.token, registration.id, 'approve')).status).toBe('approved');
    expect(await statusOf(agent.id)).toBe('active');
  });

  it('hides a registration from another tenant', async () => {
    const { agent } = await createAgent('pii');
    const registration = await pendingRegistration(agent.id);
    const other = await createOtherTenant(t.node);
    expect(
      (await request(t.node, 'GET', `/v1/approvals/${registration.id}`, other.adminToken)).statusCode,
    ).toBe(404);
    expect(
      (await request(t.node, 'POST', `/v1/approvals/${registration.id}/approve`, other.adminToken, {}))
        .statusCode,
    ).toBe(404);
    expect(await statusOf(agent.id)).toBe('pending');
  });

  // Runs late: it adds a second admin, who would then also be eligible for other legal steps.
  it('keeps a legal step nobody can decide pending until an approver is added', async () => {
    // The only admin registered it, so separation of duties leaves the legal step without anyone.
    const { agent } = await createAgent('financial');
    const registration = await pendingRegistration(agent.id);
    expect(registration.excluded).toEqual([{ humanId: adminId, why: 'requester' }]);
    const secured = await vote(t.node, security.token, registration.id, 'approve');
    expect(secured).toMatchObject({ status: 'pending', currentStep: 'legal', eligible: [] });
    const self = await request(t.node, 'POST', `/v1/approvals/${registration.id}/approve`, t.adminToken, {});
    expect(self.statusCode).toBe(403);
    expect(self.json().error.code).toBe('separation_of_duties');
    expect(await statusOf(agent.id)).toBe('pending');

    const secondAdmin = await addPerson(t.node, ['admin'], `admin2.${db}@example.test`);
    expect((await vote(t.node, secondAdmin.token, registration.id, 'approve')).status).toBe('approved');
    expect(await statusOf(agent.id)).toBe('active');
  });

  it('routes to the members of groups named security and legal where they exist', async () => {
    // A tenant of its own, so these groups change no other test's routing.
    const tenant = await createOtherTenant(t.node, 'grouped', 'Grouped Inc');
    const inTenant = { tenantId: tenant.tenantId };
    const roleOnly = await addPerson(t.node, ['security'], `role-only.${db}@grouped.test`, inTenant);
    const member = await addPerson(t.node, ['viewer'], `member.${db}@grouped.test`, inTenant);
    const counsel = await addPerson(t.node, ['viewer'], `counsel.${db}@grouped.test`, inTenant);
    const otherAdmin = await addPerson(t.node, ['admin'], `admin2.${db}@grouped.test`, inTenant);
    await createGroup(t.node, tenant.adminToken, 'security', [member.id]);
    await createGroup(t.node, tenant.adminToken, 'legal', [counsel.id]);

    const create = async (risk: string) => {
      const res = await request(t.node, 'POST', '/v1/agents', tenant.adminToken, {
        name: `grouped-${++serial}`,
        ownerId: tenant.adminId,
        purpose: 'tests group routing',
        risk,
        environments: ['staging'],
      });
      expect(res.statusCode, res.body).toBe(201);
      return (res.json() as Created).agent.id;
    };
    const pendingIn = async (agentId: string) => {
      const res = await request(
        t.node,
        'GET',
        `/v1/approvals?kind=registration&agentId=${agentId}&status=pending`,
        tenant.adminToken,
      );
      expect(res.statusCode).toBe(200);
      const [first] = (res.json() as { approvals: ApprovalBody[] }).approvals;
      if (!first) throw new Error(`no pending registration for ${agentId}`);
      return first;
    };

    const medium = await create('pii');
    const mediumRequest = await pendingIn(medium);
    expect(mediumRequest.eligible).toEqual([member.id]);
    const roleVote = await request(
      t.node,
      'POST',
      `/v1/approvals/${mediumRequest.id}/approve`,
      roleOnly.token,
      {},
    );
    expect(roleVote.statusCode).toBe(403);
    expect(roleVote.json().error.code).toBe('forbidden');
    expect((await vote(t.node, member.token, mediumRequest.id, 'approve')).status).toBe('approved');

    const high = await create('phi');
    const highRequest = await pendingIn(high);
    expect(highRequest.eligible).toEqual([member.id]);
    const legalStep = await vote(t.node, member.token, highRequest.id, 'approve');
    expect(legalStep).toMatchObject({ currentStep: 'legal', eligible: [counsel.id] });
    const adminVote = await request(
      t.node,
      'POST',
      `/v1/approvals/${highRequest.id}/approve`,
      otherAdmin.token,
      {},
    );
    expect(adminVote.statusCode).toBe(403);
    expect(adminVote.json().error.code).toBe('forbidden');
    expect((await vote(t.node, counsel.token, highRequest.id, 'approve')).status).toBe('approved');
    const agentRes = await request(t.node, 'GET', `/v1/agents/${high}`, tenant.adminToken);
    expect(agentRes.json().agent.status).toBe('active');
  });
});
