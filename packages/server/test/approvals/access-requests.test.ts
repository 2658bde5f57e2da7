import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentStatus } from '../../src/agents/agent.js';
import { addHuman, auditEventsOf, createOtherTenant, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { addPerson, getApproval, type Person, policyDir, TestClock, vote } from './sod-fixtures.js';

// The agent may read contacts; everything else under crm.contacts.* it has to ask for. A Policy
// deny (purge) and a Guardrail deny (bulk export) must still win over whatever is granted.
const POLICY = `apiVersion: warden/v1
kind: Policy
metadata:
  name: crm-agent
  owner: crm-author@example.test
spec:
  agents:
    roles: [crm-agent]
  rules:
    - id: crm-read
      effect: allow
      tools: [crm.contacts.read]
      reason: Reading contacts is the agent's job
    - id: crm-purge-deny
      effect: deny
      tools: [crm.contacts.purge]
      reason: Purging contacts is never done by an agent
---
apiVersion: warden/v1
kind: Guardrail
metadata:
  name: no-bulk-export
  owner: crm-author@example.test
spec:
  agents:
    roles: [crm-agent]
  rules:
    - id: bulk-export-deny
      effect: deny
      tools: [crm.contacts.export]
      when: args.rows > 1000
      reason: Bulk exports of contacts are never allowed
`;

const ASK = {
  tools: ['crm.contacts.*'],
  justification: 'the agent now keeps contact details up to date',
  durationSeconds: 3600,
};

interface GrantBody {
  id: string;
  agentId: string;
  tools: string[];
  requestId: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
}

describe.each(DATABASES)('access requests and grants (%s)', (db) => {
  let t: TestNode;
  const clock = new TestClock();
  let owner: Person;
  let security: Person;

  beforeAll(async () => {
    t = await startTestNode(db, {
      clock: clock.now,
      policyDir: await policyDir({ 'crm.yaml': POLICY }),
    });
    owner = await addPerson(t.node, ['owner'], `owner.${db}@example.test`);
    // No group named security exists in this tenant: humans with the security role decide.
    security = await addPerson(t.node, ['security'], `sec.${db}@example.test`);
  });
  afterAll(() => t.close());

  const agentOf = (status: AgentStatus = 'active') =>
    seedAgent(t.node, { roles: ['crm-agent'], ownerId: owner.id, status });

  async function decide(key: string, tool: string, args: Record<string, unknown> = {}) {
    const res = await request(t.node, 'POST', '/v1/decide', key, { tool, args });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { effect: string; code: string; decidingRule: string | null };
  }

  async function grantsOf(agentId: string, all = false): Promise<GrantBody[]> {
    const res = await request(
      t.node,
      'GET',
      `/v1/agents/${agentId}/grants${all ? '?all=true' : ''}`,
      owner.token,
    );
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { grants: GrantBody[] }).grants;
  }

  /** The agent asks; its owner then security approve. Returns the request id. */
  async function askAndApprove(key: string, body: object = ASK): Promise<string> {
    const res = await request(t.node, 'POST', '/v1/access-requests', key, body);
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().id as string;
    expect((await vote(t.node, owner.token, id, 'approve')).currentStep).toBe('security');
    expect((await vote(t.node, security.token, id, 'approve')).status).toBe('approved');
    return id;
  }

  const requestsOf = async (agentId: string) =>
    (
      await t.node.storage.db
        .selectFrom('approval_requests')
        .select('id')
        .where('agent_id', '=', agentId)
        .execute()
    ).length;

  it('turns an approved request into a grant the next decision uses, and revokes it at once', async () => {
    const agent = await agentOf();
    expect(await decide(agent.key, 'crm.contacts.update')).toMatchObject({
      effect: 'deny',
      code: 'no_grant',
    });

    const asked = await request(t.node, 'POST', '/v1/access-requests', agent.key, ASK);
    expect(asked.statusCode, asked.body).toBe(201);
    const created = asked.json();
    expect(created).toEqual({
      id: expect.stringMatching(/^apr_/),
      status: 'pending',
      deadline: expect.any(String),
      links: { wait: `/v1/approvals/${created.id}/wait` },
    });
    const id = created.id as string;
    const view = await getApproval(t.node, t.adminToken, id);
    expect(view).toMatchObject({
      kind: 'access',
      status: 'pending',
      agentId: agent.agent.id,
      requester: { type: 'agent', id: agent.agent.id },
      currentStep: 'owner',
      eligible: [owner.id],
    });
    expect(view.steps.map((s) => [s.name, s.approvers, s.state])).toEqual([
      ['owner', [`user:${owner.id}`], 'current'],
      ['security', ['group:security'], 'waiting'],
    ]);
    expect(view.context.access).toEqual({
      tools: ASK.tools,
      justification: ASK.justification,
      durationSeconds: 3600,
    });
    // Security cannot skip the owner's step.
    const early = await request(t.node, 'POST', `/v1/approvals/${id}/approve`, security.token, {});
    expect(early.statusCode).toBe(403);
    expect(early.json().error.code).toBe('forbidden');

    // The owner sees the request about their agent; someone unrelated does not.
    expect((await getApproval(t.node, owner.token, id)).id).toBe(id);
    const unrelated = await addHuman(t.node, ['viewer']);
    expect((await request(t.node, 'GET', `/v1/approvals/${id}`, unrelated.token)).statusCode).toBe(404);

    const advanced = await vote(t.node, owner.token, id, 'approve');
    expect(advanced).toMatchObject({ status: 'pending', currentStep: 'security', eligible: [security.id] });
    expect(await decide(agent.key, 'crm.contacts.update')).toMatchObject({ code: 'no_grant' });
    expect((await vote(t.node, security.token, id, 'approve')).status).toBe('approved');

    const [grant, ...more] = await grantsOf(agent.agent.id);
    expect(more).toEqual([]);
    expect(grant).toEqual({
      id: expect.stringMatching(/^grt_/),
      agentId: agent.agent.id,
      tools: ['crm.contacts.*'],
      requestId: id,
      createdAt: expect.any(String),
      expiresAt: new Date(Date.parse(grant?.createdAt ?? '') + 3_600_000).toISOString(),
      revokedAt: null,
    });
    const grantId = grant?.id ?? '';

    // At once: no restart, no waiting for a cache.
    expect(await decide(agent.key, 'crm.contacts.update')).toEqual(
      expect.objectContaining({ effect: 'allow', code: 'grant', decidingRule: grantId }),
    );
    expect(await decide(agent.key, 'crm.contacts.export', { rows: 10 })).toMatchObject({
      effect: 'allow',
      code: 'grant',
    });
    // A Guardrail deny and a Policy deny still win over the grant; a rule's allow stays a rule.
    expect(await decide(agent.key, 'crm.contacts.export', { rows: 5000 })).toMatchObject({
      effect: 'deny',
      code: 'rule',
      decidingRule: 'bulk-export-deny',
    });
    expect(await decide(agent.key, 'crm.contacts.purge')).toMatchObject({
      effect: 'deny',
      code: 'rule',
      decidingRule: 'crm-purge-deny',
    });
    expect(await decide(agent.key, 'crm.contacts.read')).toMatchObject({
      effect: 'allow',
      decidingRule: 'crm-read',
    });
    expect(await decide(agent.key, 'crm.deals.update')).toMatchObject({ effect: 'deny', code: 'no_grant' });

    const revoked = await request(
      t.node,
      'DELETE',
      `/v1/agents/${agent.agent.id}/grants/${grantId}`,
      owner.token,
    );
    expect(revoked.statusCode, revoked.body).toBe(204);
    expect(await decide(agent.key, 'crm.contacts.update')).toMatchObject({
      effect: 'deny',
      code: 'no_grant',
    });
    expect(await grantsOf(agent.agent.id)).toEqual([]);
    const all = await grantsOf(agent.agent.id, true);
    expect(all.map((g) => [g.id, typeof g.revokedAt])).toEqual([[grantId, 'string']]);
    const again = await request(
      t.node,
      'DELETE',
      `/v1/agents/${agent.agent.id}/grants/${grantId}`,
      owner.token,
    );
    expect(again.statusCode).toBe(409);

    const events = await auditEventsOf(t.node, [id, agent.agent.id]);
    expect(events.map((e) => e.type)).toEqual([
      'approval.request',
      'approval.approve',
      'approval.advance',
      'approval.approve',
      'approval.grant',
      'access.grant',
      'access.revoke',
    ]);
    expect(events.map((e) => e.actor)).toEqual([
      { type: 'agent', id: agent.agent.id },
      { type: 'human', id: owner.id },
      { type: 'system', id: 'approvals' },
      { type: 'human', id: security.id },
      { type: 'human', id: security.id },
      { type: 'human', id: security.id },
      { type: 'human', id: owner.id },
    ]);
    expect(events[5]?.payload).toMatchObject({ grantId, approvalId: id, tools: ['crm.contacts.*'] });
    expect(events[6]?.payload).toMatchObject({ grantId });
  });

  it('lets a grant lapse at its expiry time', async () => {
    const agent = await agentOf();
    await askAndApprove(agent.key, { ...ASK, tools: ['crm.contacts.update'], durationSeconds: 120 });
    expect(await decide(agent.key, 'crm.contacts.update')).toMatchObject({ effect: 'allow', code: 'grant' });
    clock.advance(119_000);
    expect(await decide(agent.key, 'crm.contacts.update')).toMatchObject({ effect: 'allow', code: 'grant' });
    clock.advance(2_000);
    expect(await decide(agent.key, 'crm.contacts.update')).toMatchObject({
      effect: 'deny',
      code: 'no_grant',
    });
    expect(await grantsOf(agent.agent.id)).toEqual([]);
    expect(await grantsOf(agent.agent.id, true)).toHaveLength(1);
    // An expired grant cannot be revoked any more.
    const [grant] = await grantsOf(agent.agent.id, true);
    const res = await request(
      t.node,
      'DELETE',
      `/v1/agents/${agent.agent.id}/grants/${grant?.id}`,
      owner.token,
    );
    expect(res.statusCode).toBe(409);
  });

  it('yields no grant when the request is denied', async () => {
    const agent = await agentOf();
    const res = await request(t.node, 'POST', '/v1/access-requests', agent.key, ASK);
    expect(res.statusCode).toBe(201);
    const id = res.json().id as string;
    expect((await vote(t.node, owner.token, id, 'deny')).status).toBe('denied');
    expect(await grantsOf(agent.agent.id, true)).toEqual([]);
    expect(await decide(agent.key, 'crm.contacts.update')).toMatchObject({
      effect: 'deny',
      code: 'no_grant',
    });
    const types = (await auditEventsOf(t.node, [id, agent.agent.id])).map((e) => e.type);
    expect(types).toEqual(['approval.request', 'approval.deny', 'approval.reject']);
  });

  it('starts at the security step when the owner asks for their own agent', async () => {
    const agent = await agentOf();
    const res = await request(
      t.node,
      'POST',
      `/v1/agents/${agent.agent.id}/access-requests`,
      owner.token,
      ASK,
    );
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      kind: 'access',
      status: 'pending',
      requester: { type: 'human', id: owner.id },
      currentStep: 'security',
      eligible: [security.id],
      links: { self: `/v1/approvals/${body.id}` },
    });
    expect(body.steps.map((s: { state: string }) => s.state)).toEqual(['done', 'current']);
    expect((await vote(t.node, security.token, body.id, 'approve')).status).toBe('approved');
    expect(await decide(agent.key, 'crm.contacts.update')).toMatchObject({ effect: 'allow', code: 'grant' });
  });

  it('lets an admin ask for any agent, starting at the owner step', async () => {
    const agent = await agentOf();
    const res = await request(
      t.node,
      'POST',
      `/v1/agents/${agent.agent.id}/access-requests`,
      t.adminToken,
      ASK,
    );
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ currentStep: 'owner', requester: { type: 'human' } });
  });

  it("refuses another owner's agent (403) and another tenant's agent (404), creating nothing", async () => {
    const agent = await agentOf();
    const stranger = await addHuman(t.node, ['owner']);
    const other = await createOtherTenant(t.node);
    const url = `/v1/agents/${agent.agent.id}/access-requests`;
    const theirs = await request(t.node, 'POST', url, stranger.token, ASK);
    expect(theirs.statusCode).toBe(403);
    expect(theirs.json().error.code).toBe('forbidden');
    expect((await request(t.node, 'POST', url, other.adminToken, ASK)).statusCode).toBe(404);
    expect((await request(t.node, 'POST', url, undefined, ASK)).statusCode).toBe(401);
    // Agent keys ask on the agent route; human tokens on the human one.
    expect((await request(t.node, 'POST', url, agent.key, ASK)).statusCode).toBe(403);
    expect((await request(t.node, 'POST', '/v1/access-requests', owner.token, ASK)).statusCode).toBe(403);
    expect((await request(t.node, 'POST', '/v1/access-requests', undefined, ASK)).statusCode).toBe(401);
    expect(await requestsOf(agent.agent.id)).toBe(0);

    // Grants: listing and revoking answer the same way.
    const grants = `/v1/agents/${agent.agent.id}/grants`;
    expect((await request(t.node, 'GET', grants, other.adminToken)).statusCode).toBe(404);
    expect((await request(t.node, 'GET', grants, undefined)).statusCode).toBe(401);
    expect((await request(t.node, 'GET', grants, agent.key)).statusCode).toBe(403);
  });

  it('refuses revoking a grant from another tenant or by someone who does not look after the agent', async () => {
    const agent = await agentOf();
    await askAndApprove(agent.key);
    const [grant] = await grantsOf(agent.agent.id);
    const url = `/v1/agents/${agent.agent.id}/grants/${grant?.id}`;
    const other = await createOtherTenant(t.node, 'revokers', 'Revokers Inc');
    const stranger = await addHuman(t.node, ['owner']);
    expect((await request(t.node, 'DELETE', url, other.adminToken)).statusCode).toBe(404);
    expect((await request(t.node, 'DELETE', url, stranger.token)).statusCode).toBe(403);
    expect((await request(t.node, 'DELETE', url, agent.key)).statusCode).toBe(403);
    expect((await request(t.node, 'DELETE', url, undefined)).statusCode).toBe(401);
    // The grant id under another agent's path is not found, even for an admin.
    const otherAgent = await agentOf();
    const elsewhere = `/v1/agents/${otherAgent.agent.id}/grants/${grant?.id}`;
    expect((await request(t.node, 'DELETE', elsewhere, t.adminToken)).statusCode).toBe(404);
    expect(await decide(agent.key, 'crm.contacts.update')).toMatchObject({ effect: 'allow', code: 'grant' });
    // Security looks after every agent.
    expect((await request(t.node, 'DELETE', url, security.token)).statusCode).toBe(204);
  });

  it('does not let a suspended agent ask for access (409)', async () => {
    const agent = await agentOf('suspended');
    const asked = await request(t.node, 'POST', '/v1/access-requests', agent.key, ASK);
    expect(asked.statusCode, asked.body).toBe(409);
    expect(asked.json().error.code).toBe('conflict');
    const forIt = await request(
      t.node,
      'POST',
      `/v1/agents/${agent.agent.id}/access-requests`,
      owner.token,
      ASK,
    );
    expect(forIt.statusCode).toBe(409);
    expect(await requestsOf(agent.agent.id)).toBe(0);
  });

  it('answers bad input with 400 naming the field, and creates nothing', async () => {
    const agent = await agentOf();
    const cases: [object, string | null][] = [
      [{ ...ASK, durationSeconds: 604_801 }, 'body.durationSeconds'],
      [{ ...ASK, durationSeconds: 59 }, 'body.durationSeconds'],
      [{ ...ASK, durationSeconds: 1.5 }, 'body.durationSeconds'],
      [{ ...ASK, tools: [] }, 'body.tools'],
      [{ ...ASK, tools: Array.from({ length: 51 }, (_, i) => `tool.${i}`) }, 'body.tools'],
      [{ ...ASK, tools: ['crm.contacts.read', 'has spaces'] }, 'body.tools[1]'],
      [{ ...ASK, justification: '' }, 'body.justification'],
      [{ ...ASK, extra: true }, null],
      [{ tools: ASK.tools, durationSeconds: 3600 }, 'body.justification'],
    ];
    for (const [body, field] of cases) {
      for (const [url, token] of [
        ['/v1/access-requests', agent.key],
        [`/v1/agents/${agent.agent.id}/access-requests`, owner.token],
      ] as const) {
        const res = await request(t.node, 'POST', url, token, body);
        expect(res.statusCode, `${url} ${JSON.stringify(body).slice(0, 80)}`).toBe(400);
        expect(res.json().error.code).toBe('invalid_request');
        if (field) expect(res.json().error.details.field).toBe(field);
      }
    }
    // The maximum itself is accepted.
    expect(
      (await request(t.node, 'POST', '/v1/access-requests', agent.key, { ...ASK, durationSeconds: 604_800 }))
        .statusCode,
    ).toBe(201);
    expect(await requestsOf(agent.agent.id)).toBe(1);
  });
});
