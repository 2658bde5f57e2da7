import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentCache } from '../src/agents/agent-cache.js';
import { newId } from '../src/ids.js';
import type { Notification, Notifier } from '../src/notify/notifier.js';
import type { HumanRole } from '../src/tenants/roles.js';
import {
  addHuman as addStoredHuman,
  auditEventsOf,
  createOtherTenant,
  type Method,
  request,
} from './helpers/api.js';
import { DATABASES, startTestNode, type TestNode } from './helpers/test-node.js';

class RecordingNotifier implements Notifier {
  readonly sent: Notification[] = [];
  async notify(notification: Notification): Promise<void> {
    this.sent.push(notification);
  }
}

describe.each(DATABASES)('the agent registry (%s)', (db) => {
  let t: TestNode;
  const notifier = new RecordingNotifier();
  let adminId: string;
  let other: { adminToken: string; adminId: string };
  let serial = 0;

  const call = (method: Method, url: string, token?: string, payload?: object) =>
    request(t.node, method, url, token, payload);

  /** A human straight in storage, so these tests do not depend on the humans routes. */
  const addHuman = (
    roles: HumanRole[],
    options: { tenantId?: string; status?: 'active' | 'disabled' } = {},
  ) => addStoredHuman(t.node, roles, options);

  const baseAgent = () => ({
    name: `agent-${++serial}`,
    ownerId: adminId,
    purpose: 'answers support tickets',
    risk: 'internal',
    environments: ['sandbox', 'staging'],
  });

  async function createAgent(overrides: Record<string, unknown> = {}, token = t.adminToken) {
    const res = await call('POST', '/v1/agents', token, { ...baseAgent(), ...overrides });
    expect(res.statusCode).toBe(201);
    return res.json() as { agent: Record<string, unknown> & { id: string; name: string }; secret: string };
  }

  const auditOf = (subjectId: string) => auditEventsOf(t.node, subjectId);

  beforeAll(async () => {
    t = await startTestNode(db, { notifier });
    const created = t.node.bootstrap.created;
    if (!created) throw new Error('no bootstrap admin');
    adminId = created.adminId;
    other = await createOtherTenant(t.node);
  });
  afterAll(() => t.close());

  describe('POST /v1/agents', () => {
    it('registers a low-risk agent as active in the sandbox tier, with a key shown once', async () => {
      const res = await call('POST', '/v1/agents', t.adminToken, {
        ...baseAgent(),
        name: 'support-bot',
        roles: ['support-assistant'],
        labels: { team: 'support' },
        maxChildren: 2,
        recertifyAt: '2030-01-01T00:00:00.000Z',
      });
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(body.agent).toEqual({
        id: expect.stringMatching(/^agt_/),
        name: 'support-bot',
        ownerId: adminId,
        purpose: 'answers support tickets',
        risk: 'internal',
        riskLevel: 'low',
        environments: ['sandbox', 'staging'],
        tier: 'sandbox',
        roles: ['support-assistant'],
        labels: { team: 'support' },
        parentId: null,
        maxChildren: 2,
        status: 'active',
        recertifyAt: '2030-01-01T00:00:00.000Z',
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        lastActiveAt: null,
        rollbackUrl: null,
        breaker: null,
      });
      expect(body.key).toEqual({
        id: expect.stringMatching(/^key_/),
        hint: body.secret.slice(0, 10),
        createdAt: body.agent.createdAt,
        expiresAt: null,
      });
      expect(body.secret).toMatch(/^wdn_a_[A-Za-z0-9_-]{43}$/);

      const events = await auditEventsOf(t.node, [body.agent.id, body.key.id]);
      expect(events.map((e) => e.type)).toEqual(['agent.create', 'key.create']);
      expect(events[0]?.actor).toEqual({ type: 'human', id: adminId });
      const stored = await t.node.storage.db
        .selectFrom('agent_keys')
        .select('hash')
        .where('id', '=', body.key.id)
        .executeTakeFirstOrThrow();
      for (const event of events) {
        expect(event.row.body + JSON.stringify(event.payload)).not.toContain(body.secret);
        expect(event.row.body + JSON.stringify(event.payload)).not.toContain(stored.hash);
      }
      // The key authenticates on an agent route (an empty spawn body is a 400, not a 401).
      const probe = await call('POST', '/v1/agents/spawn', body.secret, {});
      expect(probe.statusCode).toBe(400);
    });

    it('registers medium and high risk agents as pending', async () => {
      expect((await createAgent({ risk: 'pii' })).agent).toMatchObject({
        riskLevel: 'medium',
        status: 'pending',
      });
      expect((await createAgent({ risk: 'phi' })).agent).toMatchObject({
        riskLevel: 'high',
        status: 'pending',
      });
      expect((await createAgent({ risk: 'public' })).agent).toMatchObject({
        riskLevel: 'low',
        status: 'active',
      });
    });

    it('refuses a taken name with 409 and changes nothing', async () => {
      await createAgent({ name: 'taken-name' });
      const res = await call('POST', '/v1/agents', t.adminToken, { ...baseAgent(), name: 'taken-name' });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('conflict');
      const rows = await t.node.storage.db
        .selectFrom('agents')
        .select('id')
        .where('name', '=', 'taken-name')
        .execute();
      expect(rows).toHaveLength(1);
    });

    it('allows the same name in another tenant', async () => {
      await createAgent({ name: 'shared-name' });
      const res = await call('POST', '/v1/agents', other.adminToken, {
        ...baseAgent(),
        name: 'shared-name',
        ownerId: other.adminId,
      });
      expect(res.statusCode).toBe(201);
    });

    it('answers bad input with 400 naming the field', async () => {
      const { ownerId: _owner, ...withoutOwner } = baseAgent();
      const cases: [Record<string, unknown>, string][] = [
        [withoutOwner, 'body.ownerId'],
        [{ ...baseAgent(), ownerId: 'usr_nope' }, 'body.ownerId'],
        [{ ...baseAgent(), name: 'Has Spaces' }, 'body.name'],
        [{ ...baseAgent(), purpose: '' }, 'body.purpose'],
        [{ ...baseAgent(), purpose: 'x'.repeat(2001) }, 'body.purpose'],
        [{ ...baseAgent(), risk: 'secret' }, 'body.risk'],
        [{ ...baseAgent(), environments: [] }, 'body.environments'],
        [{ ...baseAgent(), environments: ['sandbox', 'sandbox'] }, 'body.environments'],
        [{ ...baseAgent(), environments: ['moon'] }, 'body.environments[0]'],
        [{ ...baseAgent(), roles: ['a', 'a'] }, 'body.roles'],
        [{ ...baseAgent(), roles: ['Bad Role'] }, 'body.roles[0]'],
        [{ ...baseAgent(), maxChildren: 1001 }, 'body.maxChildren'],
        [{ ...baseAgent(), recertifyAt: 'next tuesday' }, 'body.recertifyAt'],
        [{ ...baseAgent(), tier: 'trusted' }, 'body.tier'],
        [
          {
            ...baseAgent(),
            labels: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])),
          },
          'body.labels',
        ],
      ];
      for (const [payload, field] of cases) {
        const res = await call('POST', '/v1/agents', t.adminToken, payload);
        expect(res.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400);
        expect(res.json().error.details.field).toBe(field);
      }
      for (const labels of [{ ['k'.repeat(101)]: 'v' }, { '': 'v' }, { team: 'v'.repeat(501) }]) {
        const res = await call('POST', '/v1/agents', t.adminToken, { ...baseAgent(), labels });
        expect(res.statusCode).toBe(400);
        expect(res.json().error.details.field).toMatch(/^body\.labels/);
      }
    });

    it('requires the owner to be an active human of this tenant', async () => {
      const disabled = await addHuman(['owner'], { status: 'disabled' });
      for (const ownerId of [disabled.id, other.adminId, newId('usr')]) {
        const res = await call('POST', '/v1/agents', t.adminToken, { ...baseAgent(), ownerId });
        expect(res.statusCode).toBe(400);
        expect(res.json().error.details.field).toBe('body.ownerId');
      }
    });

    it('lets an owner register agents for themself only', async () => {
      const owner = await addHuman(['owner']);
      const own = await call('POST', '/v1/agents', owner.token, { ...baseAgent(), ownerId: owner.id });
      expect(own.statusCode).toBe(201);
      const forOther = await call('POST', '/v1/agents', owner.token, { ...baseAgent(), ownerId: adminId });
      expect(forOther.statusCode).toBe(403);
    });

    it('refuses no credential, agent keys, and humans without the owner role', async () => {
      expect((await call('POST', '/v1/agents', undefined, baseAgent())).statusCode).toBe(401);
      const { secret } = await createAgent();
      expect((await call('POST', '/v1/agents', secret, baseAgent())).statusCode).toBe(403);
      for (const role of ['viewer', 'approver', 'auditor', 'security'] as const) {
        const human = await addHuman([role]);
        const res = await call('POST', '/v1/agents', human.token, { ...baseAgent(), ownerId: human.id });
        expect(res.statusCode, role).toBe(403);
      }
    });
  });

  describe('GET /v1/agents', () => {
    let ownerId: string;
    const ids: string[] = [];
    beforeAll(async () => {
      const owner = await addHuman(['owner']);
      ownerId = owner.id;
      const specs = [
        { risk: 'public', environments: ['production'], roles: ['list_role.a'] },
        { risk: 'pii', environments: ['sandbox'], roles: ['listxrole.a'] },
        { risk: 'internal', environments: ['staging', 'production'], roles: ['list_role.a', 'other'] },
        { risk: 'financial', environments: ['sandbox'], roles: [] },
        { risk: 'public', environments: ['sandbox'], roles: [] },
      ];
      for (const spec of specs) ids.push((await createAgent({ ...spec, ownerId })).agent.id);
      const now = Date.now();
      await t.node.storage.db
        .updateTable('agents')
        .set({ last_active_at: now })
        .where('id', '=', ids[0] ?? '')
        .execute();
      await t.node.storage.db
        .updateTable('agents')
        .set({ last_active_at: now - 10 * 86_400_000 })
        .where('id', '=', ids[1] ?? '')
        .execute();
    });

    const listIds = async (query: string, token = t.adminToken) => {
      const res = await call('GET', `/v1/agents?owner=${ownerId}&${query}`, token);
      expect(res.statusCode).toBe(200);
      return (res.json().agents as { id: string }[]).map((a) => a.id);
    };

    it('filters by owner, status, risk, tier, environment and role', async () => {
      expect(await listIds('')).toEqual(ids);
      expect(await listIds('status=pending')).toEqual([ids[1], ids[3]]);
      expect(await listIds('risk=public')).toEqual([ids[0], ids[4]]);
      expect(await listIds('tier=sandbox')).toEqual(ids);
      expect(await listIds('tier=trusted')).toEqual([]);
      expect(await listIds('environment=production')).toEqual([ids[0], ids[2]]);
      // `_` is not a wildcard, and a role matches whole names only.
      expect(await listIds('role=list_role.a')).toEqual([ids[0], ids[2]]);
      expect(await listIds('role=list')).toEqual([]);
    });

    it('filters by activity', async () => {
      const since = new Date(Date.now() - 86_400_000).toISOString();
      expect(await listIds(`activeSince=${since}`)).toEqual([ids[0]]);
      expect(await listIds(`inactiveSince=${since}`)).toEqual([ids[1], ids[2], ids[3], ids[4]]);
    });

    it('pages by cursor in id order', async () => {
      const first = await call('GET', `/v1/agents?owner=${ownerId}&limit=2`, t.adminToken);
      expect(first.json().agents.map((a: { id: string }) => a.id)).toEqual(ids.slice(0, 2));
      expect(first.json().nextCursor).toBe(ids[1]);
      const second = await call('GET', `/v1/agents?owner=${ownerId}&limit=2&cursor=${ids[1]}`, t.adminToken);
      expect(second.json().nextCursor).toBe(ids[3]);
      const last = await call('GET', `/v1/agents?owner=${ownerId}&limit=2&cursor=${ids[3]}`, t.adminToken);
      expect(last.json()).toMatchObject({ agents: [{ id: ids[4] }], nextCursor: null });
    });

    it('is open to any human of the tenant and shows nothing of other tenants', async () => {
      const viewer = await addHuman(['viewer']);
      expect(await listIds('', viewer.token)).toEqual(ids);
      const foreign = await call('GET', `/v1/agents?owner=${ownerId}`, other.adminToken);
      expect(foreign.json()).toEqual({ agents: [], nextCursor: null });
      const all = await call('GET', '/v1/agents?limit=500', other.adminToken);
      expect(all.json().agents.every((a: { ownerId: string }) => a.ownerId === other.adminId)).toBe(true);
    });

    it('answers bad filters with 400 naming the field', async () => {
      for (const [query, field] of [
        ['limit=0', 'querystring.limit'],
        ['limit=501', 'querystring.limit'],
        ['status=sleeping', 'querystring.status'],
        ['cursor=abc', 'querystring.cursor'],
        ['activeSince=yesterday', 'querystring.activeSince'],
        ['colour=red', 'querystring.colour'],
      ] as const) {
        const res = await call('GET', `/v1/agents?${query}`, t.adminToken);
        expect(res.statusCode, query).toBe(400);
        expect(res.json().error.details.field).toBe(field);
      }
    });

    it('refuses no credential and agent keys', async () => {
      expect((await call('GET', '/v1/agents')).statusCode).toBe(401);
      const { secret } = await createAgent();
      expect((await call('GET', '/v1/agents', secret)).statusCode).toBe(403);
    });
  });

  describe('GET /v1/agents/:id', () => {
    it('answers the agent and the ids of its children', async () => {
      const parent = await createAgent({ maxChildren: 2, roles: ['r1'] });
      const spawned = await call('POST', '/v1/agents/spawn', parent.secret, {
        name: 'child-of-get',
        purpose: 'x',
      });
      expect(spawned.statusCode).toBe(201);
      const res = await call('GET', `/v1/agents/${parent.agent.id}`, t.adminToken);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ agent: parent.agent, children: [spawned.json().agent.id] });
    });

    it('answers 404 for unknown agents and for agents of other tenants, 400 for malformed ids', async () => {
      const { agent } = await createAgent();
      expect((await call('GET', `/v1/agents/${newId('agt')}`, t.adminToken)).statusCode).toBe(404);
      const foreign = await call('GET', `/v1/agents/${agent.id}`, other.adminToken);
      expect(foreign.statusCode).toBe(404);
      expect(foreign.json().error.code).toBe('not_found');
      const malformed = await call('GET', '/v1/agents/not-an-id', t.adminToken);
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json().error.details.field).toBe('params.id');
    });

    it('refuses no credential and agent keys', async () => {
      const { agent, secret } = await createAgent();
      expect((await call('GET', `/v1/agents/${agent.id}`)).statusCode).toBe(401);
      expect((await call('GET', `/v1/agents/${agent.id}`, secret)).statusCode).toBe(403);
    });
  });

  describe('PATCH /v1/agents/:id', () => {
    it('changes fields, answers the diff, audits it and notifies the owner', async () => {
      const owner = await addHuman(['owner']);
      const { agent } = await createAgent({ ownerId: owner.id, roles: ['a'], labels: { team: 'x' } });
      notifier.sent.length = 0;
      const res = await call('PATCH', `/v1/agents/${agent.id}`, t.adminToken, {
        purpose: 'new purpose',
        roles: ['a', 'b'],
        labels: { team: 'y' },
        recertifyAt: '2031-05-01T00:00:00.000Z',
        tier: 'monitored',
        environments: ['staging', 'sandbox'],
      });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.changes).toEqual({
        purpose: { from: 'answers support tickets', to: 'new purpose' },
        roles: { from: ['a'], to: ['a', 'b'] },
        labels: { from: { team: 'x' }, to: { team: 'y' } },
        recertifyAt: { from: null, to: '2031-05-01T00:00:00.000Z' },
        tier: { from: 'sandbox', to: 'monitored' },
      });
      expect(body.agent).toMatchObject({ purpose: 'new purpose', roles: ['a', 'b'], tier: 'monitored' });
      const events = await auditOf(agent.id);
      expect(events.at(-1)?.type).toBe('agent.update');
      expect(events.at(-1)?.payload?.changes).toEqual(body.changes);
      expect(notifier.sent).toHaveLength(1);
      expect(notifier.sent[0]).toMatchObject({
        type: 'agent.update',
        recipient: { humanId: owner.id, email: owner.email },
        subject: { type: 'agent', id: agent.id },
      });
      expect(notifier.sent[0]?.summary).toContain('admin@localhost');
      expect(notifier.sent[0]?.summary).toContain('purpose');
    });

    it('answers an empty diff for a no-op patch, without an audit event', async () => {
      const { agent } = await createAgent({ roles: ['a', 'b'] });
      const before = (await auditOf(agent.id)).length;
      notifier.sent.length = 0;
      const res = await call('PATCH', `/v1/agents/${agent.id}`, t.adminToken, {
        roles: ['b', 'a'],
        purpose: agent.purpose,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ agent, changes: {} });
      expect(await auditOf(agent.id)).toHaveLength(before);
      expect(notifier.sent).toHaveLength(0);
    });

    it('lets the owner change their agent, but not its tier', async () => {
      const owner = await addHuman(['owner']);
      const { agent } = await createAgent({ ownerId: owner.id });
      const ok = await call('PATCH', `/v1/agents/${agent.id}`, owner.token, { maxChildren: 5 });
      expect(ok.statusCode).toBe(200);
      expect(ok.json().changes).toEqual({ maxChildren: { from: 0, to: 5 } });
      const tier = await call('PATCH', `/v1/agents/${agent.id}`, owner.token, { tier: 'trusted' });
      expect(tier.statusCode).toBe(403);
      const security = await addHuman(['security']);
      const bySecurity = await call('PATCH', `/v1/agents/${agent.id}`, security.token, { tier: 'trusted' });
      expect(bySecurity.statusCode).toBe(200);
    });

    it('sends an agent whose risk rises back to pending unless an admin raised it', async () => {
      const owner = await addHuman(['owner']);
      const { agent } = await createAgent({ ownerId: owner.id, risk: 'public' });
      const res = await call('PATCH', `/v1/agents/${agent.id}`, owner.token, { risk: 'phi' });
      expect(res.json().changes).toEqual({
        risk: { from: 'public', to: 'phi' },
        status: { from: 'active', to: 'pending' },
      });
      expect(res.json().agent).toMatchObject({ status: 'pending', riskLevel: 'high' });
      const byAdmin = await createAgent({ risk: 'public' });
      const admin = await call('PATCH', `/v1/agents/${byAdmin.agent.id}`, t.adminToken, { risk: 'pii' });
      expect(admin.json().agent.status).toBe('active');
    });

    it('moves ownership to an active human and notifies both owners', async () => {
      const first = await addHuman(['owner']);
      const second = await addHuman(['viewer']);
      const { agent } = await createAgent({ ownerId: first.id });
      notifier.sent.length = 0;
      const res = await call('PATCH', `/v1/agents/${agent.id}`, first.token, { ownerId: second.id });
      expect(res.statusCode).toBe(200);
      expect(res.json().changes).toEqual({ ownerId: { from: first.id, to: second.id } });
      expect(notifier.sent.map((n) => n.recipient.humanId).sort()).toEqual([first.id, second.id].sort());
      // The previous owner no longer owns it.
      expect(
        (await call('PATCH', `/v1/agents/${agent.id}`, first.token, { maxChildren: 1 })).statusCode,
      ).toBe(403);
      const disabled = await addHuman(['owner'], { status: 'disabled' });
      const bad = await call('PATCH', `/v1/agents/${agent.id}`, t.adminToken, { ownerId: disabled.id });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.details.field).toBe('body.ownerId');
    });

    it('answers bad input with 400 naming the field', async () => {
      const { agent } = await createAgent();
      for (const [payload, field] of [
        [{ name: 'renamed' }, 'body.name'],
        [{ maxChildren: -1 }, 'body.maxChildren'],
        [{ environments: [] }, 'body.environments'],
        [{ recertifyAt: 'soon' }, 'body.recertifyAt'],
      ] as const) {
        const res = await call('PATCH', `/v1/agents/${agent.id}`, t.adminToken, payload);
        expect(res.statusCode).toBe(400);
        expect(res.json().error.details.field).toBe(field);
      }
      const cleared = await call('PATCH', `/v1/agents/${agent.id}`, t.adminToken, { recertifyAt: null });
      expect(cleared.statusCode).toBe(200);
    });

    it('refuses no credential, agent keys, other tenants, and humans who are not owner or guardian', async () => {
      const { agent, secret } = await createAgent();
      const url = `/v1/agents/${agent.id}`;
      expect((await call('PATCH', url, undefined, { purpose: 'x' })).statusCode).toBe(401);
      expect((await call('PATCH', url, secret, { purpose: 'x' })).statusCode).toBe(403);
      expect((await call('PATCH', url, other.adminToken, { purpose: 'x' })).statusCode).toBe(404);
      for (const role of ['owner', 'viewer', 'approver'] as const) {
        const human = await addHuman([role]);
        expect((await call('PATCH', url, human.token, { purpose: 'x' })).statusCode, role).toBe(403);
      }
      expect((await call('GET', url, t.adminToken)).json().agent.purpose).toBe(agent.purpose);
    });
  });

  describe('lifecycle', () => {
    const post = (agentId: string, action: string, token?: string, payload?: object) =>
      call('POST', `/v1/agents/${agentId}/${action}`, token, payload);

    it('activates a risky agent only through its registration approval, and refuses other states naming the status', async () => {
      const { agent } = await createAgent({ risk: 'pii' });
      const security = await addHuman(['security']);
      expect((await post(agent.id, 'activate', security.token)).statusCode).toBe(403);
      const direct = await post(agent.id, 'activate', t.adminToken);
      expect(direct.statusCode).toBe(409);
      const approvalId = direct.json().error.details.approvalId;
      expect(direct.json().error.message).toContain(approvalId);
      const approved = await call('POST', `/v1/approvals/${approvalId}/approve`, security.token, {});
      expect(approved.statusCode).toBe(200);
      expect((await call('GET', `/v1/agents/${agent.id}`, t.adminToken)).json().agent.status).toBe('active');
      const again = await post(agent.id, 'activate', t.adminToken, {});
      expect(again.statusCode).toBe(409);
      expect(again.json().error.message).toContain('is active');
      expect((await auditOf(agent.id)).map((e) => e.type)).toEqual(['agent.create', 'agent.activate']);
    });

    it('suspends with a reason, takes effect at once, and resumes (admin, security)', async () => {
      const owner = await addHuman(['owner']);
      const created = await createAgent({ ownerId: owner.id, maxChildren: 3 });
      const { agent } = created;
      // A cache with a long TTL, primed before the suspend: only the signal can refresh it.
      const cache = new AgentCache(t.node.storage, t.node.signals, 3_600_000);
      expect((await cache.get(t.node.bootstrap.tenant.id, agent.id))?.status).toBe('active');

      expect((await post(agent.id, 'suspend', owner.token, {})).statusCode).toBe(400);
      notifier.sent.length = 0;
      const res = await post(agent.id, 'suspend', owner.token, { reason: 'leaking data' });
      expect(res.statusCode).toBe(200);
      expect(res.json().agent.status).toBe('suspended');

      expect((await cache.get(t.node.bootstrap.tenant.id, agent.id))?.status).toBe('suspended');
      expect((await call('GET', `/v1/agents/${agent.id}`, t.adminToken)).json().agent.status).toBe(
        'suspended',
      );
      const spawn = await call('POST', '/v1/agents/spawn', created.secret, {
        name: `${agent.name}-c`,
        purpose: 'x',
      });
      expect(spawn.statusCode).toBe(403);
      expect(spawn.json().error.message).toContain('suspended');

      expect(notifier.sent).toHaveLength(1);
      expect(notifier.sent[0]).toMatchObject({ type: 'agent.suspend', recipient: { humanId: owner.id } });
      expect(notifier.sent[0]?.summary).toContain('leaking data');
      const event = (await auditOf(agent.id)).at(-1);
      expect(event?.type).toBe('agent.suspend');
      expect(event?.payload).toMatchObject({
        from: 'active',
        to: 'suspended',
        reason: 'leaking data',
      });

      expect((await post(agent.id, 'suspend', t.adminToken, { reason: 'again' })).statusCode).toBe(409);
      expect((await post(agent.id, 'resume', owner.token)).statusCode).toBe(403);
      const security = await addHuman(['security']);
      const resumed = await post(agent.id, 'resume', security.token);
      expect(resumed.statusCode).toBe(200);
      expect(resumed.json().agent.status).toBe('active');
      expect((await cache.get(t.node.bootstrap.tenant.id, agent.id))?.status).toBe('active');
      expect((await post(agent.id, 'resume', security.token)).json().error.message).toContain('is active');
    });

    it('resumes an agent suspended while pending back to pending: its cancelled registration is opened anew', async () => {
      const security = await addHuman(['security']);
      const { agent } = await createAgent({ risk: 'pii' });
      expect(agent.status).toBe('pending');
      expect((await post(agent.id, 'suspend', security.token, { reason: 'check' })).statusCode).toBe(200);
      const resumed = await post(agent.id, 'resume', security.token);
      expect(resumed.statusCode).toBe(200);
      expect(resumed.json().agent.status).toBe('pending');
      // Suspending cancelled the registration request; activating opens a fresh one.
      const [cancelled] = (
        await call('GET', `/v1/approvals?kind=registration&agentId=${agent.id}`, t.adminToken)
      ).json().approvals;
      expect(cancelled.status).toBe('cancelled');
      const registrationId = (await post(agent.id, 'activate', t.adminToken)).json().error.details.approvalId;
      expect(registrationId).not.toBe(cancelled.id);
      expect(
        (await call('POST', `/v1/approvals/${registrationId}/approve`, security.token, {})).statusCode,
      ).toBe(200);
      expect((await call('GET', `/v1/agents/${agent.id}`, t.adminToken)).json().agent.status).toBe('active');
    });

    it('retires an agent, revoking all its keys, and keeps its row and history', async () => {
      const owner = await addHuman(['owner']);
      const created = await createAgent({ ownerId: owner.id });
      const { agent } = created;
      const extra = await call('POST', `/v1/agents/${agent.id}/keys`, owner.token, {});
      expect(extra.statusCode).toBe(201);
      const revoked: string[][] = [];
      const stop = t.node.signals.subscribe((s) => {
        if (s.type === 'credential.revoked') revoked.push([...s.hashes]);
      });
      const res = await post(agent.id, 'retire', owner.token, { reason: 'replaced by v2' });
      stop();
      expect(res.statusCode).toBe(200);
      expect(res.json().agent.status).toBe('retired');
      const keys = await t.node.storage.db
        .selectFrom('agent_keys')
        .selectAll()
        .where('agent_id', '=', agent.id)
        .execute();
      expect(keys).toHaveLength(2);
      expect(keys.every((k) => k.revoked_at !== null && k.revoked_at <= Date.now())).toBe(true);
      expect(revoked).toEqual([expect.arrayContaining(keys.map((k) => k.hash))]);
      for (const secret of [created.secret, extra.json().secret]) {
        expect((await call('POST', '/v1/agents/spawn', secret, {})).statusCode).toBe(401);
      }
      const event = (await auditOf(agent.id)).at(-1);
      expect(event?.type).toBe('agent.retire');
      expect(JSON.stringify(event?.payload)).not.toContain(keys[0]?.hash);
      expect((await call('GET', `/v1/agents/${agent.id}`, t.adminToken)).json().agent.status).toBe('retired');
      const again = await post(agent.id, 'retire', t.adminToken);
      expect(again.statusCode).toBe(409);
      expect(again.json().error.message).toContain('is retired');
      expect((await call('PATCH', `/v1/agents/${agent.id}`, t.adminToken, { purpose: 'x' })).statusCode).toBe(
        409,
      );
    });

    it('refuses transitions to the wrong people, other tenants, agent keys and no credential', async () => {
      const { agent, secret } = await createAgent({ risk: 'pii' });
      const viewer = await addHuman(['viewer']);
      const security = await addHuman(['security']);
      expect((await post(agent.id, 'suspend', viewer.token, { reason: 'x' })).statusCode).toBe(403);
      expect((await post(agent.id, 'retire', viewer.token)).statusCode).toBe(403);
      expect((await post(agent.id, 'retire', security.token)).statusCode).toBe(403);
      for (const action of ['activate', 'suspend', 'resume', 'retire']) {
        const payload = { reason: 'x' };
        expect((await post(agent.id, action, undefined, payload)).statusCode, action).toBe(401);
        expect((await post(agent.id, action, secret, payload)).statusCode, action).toBe(403);
        const foreign = await post(
          agent.id,
          action,
          other.adminToken,
          action === 'suspend' || action === 'retire' ? payload : {},
        );
        expect(foreign.statusCode, action).toBe(404);
      }
      expect((await call('GET', `/v1/agents/${agent.id}`, t.adminToken)).json().agent.status).toBe('pending');
    });
  });
});
