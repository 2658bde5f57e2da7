import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant } from '../src/tenants/tenant-service.js';
import { auditEventsOf, createOtherTenant, type Method, request } from './helpers/api.js';
import { seedAgent } from './helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from './helpers/test-node.js';

describe.each(DATABASES)('humans and the tenant (%s)', (db) => {
  let t: TestNode;
  let adminId: string;
  let otherTenant: { adminToken: string; humanId: string };
  let agentKey: string;
  let serial = 0;

  const call = (method: Method, url: string, token?: string, payload?: object) =>
    request(t.node, method, url, token, payload);

  /** A new human of the default tenant with a token of their own. */
  async function makeHuman(roles: string[]): Promise<{ id: string; email: string; token: string }> {
    const email = `person${++serial}@example.test`;
    const created = await call('POST', '/v1/humans', t.adminToken, {
      email,
      name: `Person ${serial}`,
      roles,
    });
    expect(created.statusCode).toBe(201);
    const id: string = created.json().human.id;
    const token = await call('POST', `/v1/humans/${id}/tokens`, t.adminToken, { name: 'test' });
    expect(token.statusCode).toBe(201);
    return { id, email, token: token.json().secret };
  }

  const auditOf = (subjectId: string) => auditEventsOf(t.node, subjectId);

  beforeAll(async () => {
    t = await startTestNode(db);
    const me = await call('GET', '/v1/me', t.adminToken);
    adminId = me.json().human.id;
    const other = await createOtherTenant(t.node);
    otherTenant = { adminToken: other.adminToken, humanId: other.adminId };
    agentKey = (await seedAgent(t.node)).key;
  });
  afterAll(() => t.close());

  describe('GET /v1/me and GET /v1/tenant', () => {
    it('answers the caller and their tenant', async () => {
      const res = await call('GET', '/v1/me', t.adminToken);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        human: {
          id: expect.stringMatching(/^usr_/),
          email: t.node.config.adminEmail,
          name: 'Administrator',
          roles: ['admin'],
          status: 'active',
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        },
        tenant: {
          id: t.node.bootstrap.tenant.id,
          slug: t.node.bootstrap.tenant.slug,
          name: t.node.bootstrap.tenant.name,
          createdAt: new Date(t.node.bootstrap.tenant.createdAt).toISOString(),
        },
      });
      const tenant = await call('GET', '/v1/tenant', t.adminToken);
      expect(tenant.statusCode).toBe(200);
      expect(tenant.json()).toEqual({ tenant: res.json().tenant });
    });

    it('answers each tenant its own', async () => {
      const res = await call('GET', '/v1/me', otherTenant.adminToken);
      expect(res.json()).toMatchObject({ human: { id: otherTenant.humanId }, tenant: { slug: 'other' } });
    });

    it('answers any role', async () => {
      const viewer = await makeHuman(['viewer']);
      const res = await call('GET', '/v1/me', viewer.token);
      expect(res.statusCode).toBe(200);
      expect(res.json().human).toMatchObject({ id: viewer.id, roles: ['viewer'] });
    });

    it('refuses no credential (401), a malformed one (401) and an agent key (403)', async () => {
      for (const url of ['/v1/me', '/v1/tenant']) {
        expect((await call('GET', url)).statusCode).toBe(401);
        expect((await call('GET', url, 'wdn_u_nope')).statusCode).toBe(401);
        const agent = await call('GET', url, agentKey);
        expect(agent.statusCode).toBe(403);
        expect(agent.json().error.code).toBe('forbidden');
      }
    });
  });

  describe('POST /v1/humans', () => {
    it('creates a human and audits it', async () => {
      const res = await call('POST', '/v1/humans', t.adminToken, {
        email: 'Ada@Example.test',
        name: 'Ada',
        roles: ['approver', 'owner'],
      });
      expect(res.statusCode).toBe(201);
      const human = res.json().human;
      expect(human).toEqual({
        id: expect.stringMatching(/^usr_[0-9a-z]{26}$/),
        email: 'ada@example.test',
        name: 'Ada',
        roles: ['approver', 'owner'],
        status: 'active',
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const events = await auditOf(human.id);
      expect(events.map((e) => e.type)).toEqual(['human.create']);
      expect(events[0]?.actor).toEqual({ type: 'human', id: adminId });
      // The trail names the human by id; their address is redacted like any other.
      expect(events[0]?.payload).toEqual({
        email: '[REDACTED:email]',
        name: 'Ada',
        roles: ['approver', 'owner'],
      });
      expect(events[0]?.redactions).toEqual({ email: 1 });
      expect(events[0]?.row.body).not.toContain('ada@example.test');
    });

    it('refuses a duplicate email in the tenant (409), whatever its case, and allows it in another', async () => {
      const body = { email: 'dup@example.test', name: 'Dup', roles: ['viewer'] };
      expect((await call('POST', '/v1/humans', t.adminToken, body)).statusCode).toBe(201);
      const again = await call('POST', '/v1/humans', t.adminToken, { ...body, email: 'DUP@example.test' });
      expect(again.statusCode).toBe(409);
      expect(again.json().error.code).toBe('conflict');
      expect((await call('POST', '/v1/humans', otherTenant.adminToken, body)).statusCode).toBe(201);
    });

    it.each([
      [{ email: 'a@example.test', name: 'A', roles: ['viewer'], nickname: 'x' }, 'body.nickname'],
      [{ name: 'A', roles: ['viewer'] }, 'body.email'],
      [{ email: 'not-an-email', name: 'A', roles: ['viewer'] }, 'body.email'],
      [{ email: 'a@example.test', name: 42, roles: ['viewer'] }, 'body.name'],
      [{ email: 'a@example.test', name: '', roles: ['viewer'] }, 'body.name'],
      [{ email: 'a@example.test', name: 'A', roles: 'viewer' }, 'body.roles'],
      [{ email: 'a@example.test', name: 'A', roles: [] }, 'body.roles'],
      [{ email: 'a@example.test', name: 'A', roles: ['viewer', 'viewer'] }, 'body.roles'],
      [{ email: 'a@example.test', name: 'A', roles: ['viewer', 'root'] }, 'body.roles[1]'],
    ])('refuses a bad body %j naming %s', async (body, field) => {
      const res = await call('POST', '/v1/humans', t.adminToken, body);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'invalid_request', details: { field } });
      const stored = await t.node.storage.db
        .selectFrom('humans')
        .select('id')
        .where('email', '=', 'a@example.test')
        .execute();
      expect(stored).toEqual([]);
    });

    it('refuses a non-admin (403), an agent key (403) and no credential (401)', async () => {
      const body = { email: 'nobody@example.test', name: 'N', roles: ['admin'] };
      for (const role of ['viewer', 'security', 'approver', 'auditor', 'owner']) {
        const human = await makeHuman([role]);
        const res = await call('POST', '/v1/humans', human.token, body);
        expect(res.statusCode).toBe(403);
        expect(res.json().error.code).toBe('forbidden');
      }
      expect((await call('POST', '/v1/humans', agentKey, body)).statusCode).toBe(403);
      expect((await call('POST', '/v1/humans', undefined, body)).statusCode).toBe(401);
    });
  });

  describe('GET /v1/humans and GET /v1/humans/:id', () => {
    it('lists the tenant, filtered by role and status', async () => {
      const auditor = await makeHuman(['auditor']);
      const disabled = await makeHuman(['auditor']);
      expect(
        (await call('PATCH', `/v1/humans/${disabled.id}`, t.adminToken, { status: 'disabled' })).statusCode,
      ).toBe(200);

      const all = await call('GET', '/v1/humans', auditor.token);
      expect(all.statusCode).toBe(200);
      const ids = all.json().humans.map((h: { id: string }) => h.id);
      expect(ids).toEqual(expect.arrayContaining([adminId, auditor.id, disabled.id]));
      expect(ids).not.toContain(otherTenant.humanId);

      const auditors = await call('GET', '/v1/humans?role=auditor&status=active', t.adminToken);
      const found = auditors.json().humans;
      expect(found.map((h: { id: string }) => h.id)).toContain(auditor.id);
      expect(found.map((h: { id: string }) => h.id)).not.toContain(disabled.id);
      expect(found.every((h: { roles: string[] }) => h.roles.includes('auditor'))).toBe(true);

      const off = await call('GET', '/v1/humans?status=disabled', t.adminToken);
      expect(off.json().humans.map((h: { id: string }) => h.id)).toEqual([disabled.id]);
    });

    it('refuses bad filters naming them', async () => {
      const role = await call('GET', '/v1/humans?role=root', t.adminToken);
      expect(role.statusCode).toBe(400);
      expect(role.json().error.details.field).toBe('querystring.role');
      const extra = await call('GET', '/v1/humans?sort=name', t.adminToken);
      expect(extra.statusCode).toBe(400);
      expect(extra.json().error.details.field).toBe('querystring.sort');
    });

    it('answers one human with their groups', async () => {
      const human = await makeHuman(['approver']);
      const group = await call('POST', '/v1/groups', t.adminToken, { name: 'leads', members: [human.id] });
      expect(group.statusCode).toBe(201);
      const res = await call('GET', `/v1/humans/${human.id}`, human.token);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        human: expect.objectContaining({ id: human.id, email: human.email, roles: ['approver'] }),
        groups: [{ id: group.json().group.id, name: 'leads' }],
      });
    });

    it('answers 404 for an unknown id or another tenant, 400 for a bad id', async () => {
      const unknown = await call('GET', '/v1/humans/usr_00000000000000000000000000', t.adminToken);
      expect(unknown.statusCode).toBe(404);
      const other = await call('GET', `/v1/humans/${otherTenant.humanId}`, t.adminToken);
      expect(other.statusCode).toBe(404);
      expect(other.json().error.code).toBe('not_found');
      const bad = await call('GET', '/v1/humans/agt_00000000000000000000000000', t.adminToken);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.details.field).toBe('params.id');
    });

    it('refuses no credential (401) and an agent key (403)', async () => {
      for (const url of ['/v1/humans', `/v1/humans/${adminId}`]) {
        expect((await call('GET', url)).statusCode).toBe(401);
        expect((await call('GET', url, agentKey)).statusCode).toBe(403);
      }
    });
  });

  describe('PATCH /v1/humans/:id', () => {
    it('changes name and roles, answers and audits the diff', async () => {
      const human = await makeHuman(['viewer']);
      const res = await call('PATCH', `/v1/humans/${human.id}`, t.adminToken, {
        name: 'Renamed',
        roles: ['viewer', 'approver'],
        status: 'active',
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        human: expect.objectContaining({ id: human.id, name: 'Renamed', roles: ['viewer', 'approver'] }),
        changes: {
          name: { from: `Person ${serial}`, to: 'Renamed' },
          roles: { from: ['viewer'], to: ['viewer', 'approver'] },
        },
      });
      const events = await auditOf(human.id);
      expect(events.map((e) => e.type)).toEqual(['human.create', 'human.update']);
      expect(events[1]?.payload).toEqual({ changes: res.json().changes });

      const same = await call('PATCH', `/v1/humans/${human.id}`, t.adminToken, { name: 'Renamed' });
      expect(same.json().changes).toEqual({});
      expect(await auditOf(human.id)).toHaveLength(2);
    });

    it('applies new roles to a token already in use at once', async () => {
      const human = await makeHuman(['viewer']);
      const body = () => ({
        email: `made-by-${human.id}-${++serial}@example.test`,
        name: 'X',
        roles: ['viewer'],
      });
      expect((await call('GET', '/v1/humans', human.token)).statusCode).toBe(200);
      expect((await call('POST', '/v1/humans', human.token, body())).statusCode).toBe(403);
      await call('PATCH', `/v1/humans/${human.id}`, t.adminToken, { roles: ['admin'] });
      expect((await call('POST', '/v1/humans', human.token, body())).statusCode).toBe(201);
      await call('PATCH', `/v1/humans/${human.id}`, t.adminToken, { roles: ['viewer'] });
      expect((await call('POST', '/v1/humans', human.token, body())).statusCode).toBe(403);
    });

    it("refuses a disabled human's token at once, and accepts it again when re-enabled", async () => {
      const human = await makeHuman(['owner']);
      expect((await call('GET', '/v1/me', human.token)).statusCode).toBe(200);
      const disable = await call('PATCH', `/v1/humans/${human.id}`, t.adminToken, { status: 'disabled' });
      expect(disable.json().changes).toEqual({ status: { from: 'active', to: 'disabled' } });
      const refused = await call('GET', '/v1/me', human.token);
      expect(refused.statusCode).toBe(401);
      expect(refused.json().error.code).toBe('unauthenticated');
      await call('PATCH', `/v1/humans/${human.id}`, t.adminToken, { status: 'active' });
      expect((await call('GET', '/v1/me', human.token)).statusCode).toBe(200);
    });

    it('refuses to disable or demote the last active admin (409), but not one of two', async () => {
      const other = await createTenant(t.node.storage, t.node.audit, {
        slug: `solo-${db}`,
        name: 'Solo',
        adminEmail: 'solo@example.test',
      });
      if (!other) throw new Error('tenant not created');
      const token = other.adminToken.secret;
      const url = `/v1/humans/${other.adminId}`;
      const disable = await call('PATCH', url, token, { status: 'disabled' });
      expect(disable.statusCode).toBe(409);
      expect(disable.json().error.code).toBe('conflict');
      const demote = await call('PATCH', url, token, { roles: ['viewer'] });
      expect(demote.statusCode).toBe(409);
      expect((await call('GET', '/v1/me', token)).json().human).toMatchObject({
        roles: ['admin'],
        status: 'active',
      });

      const second = await call('POST', '/v1/humans', token, {
        email: 'two@solo.test',
        name: 'Two',
        roles: ['admin'],
      });
      const secondId = second.json().human.id;
      await call('PATCH', `/v1/humans/${secondId}`, token, { status: 'disabled' });
      // A disabled admin does not count.
      expect((await call('PATCH', url, token, { roles: ['viewer'] })).statusCode).toBe(409);
      await call('PATCH', `/v1/humans/${secondId}`, token, { status: 'active' });
      const now = await call('PATCH', url, token, { roles: ['viewer', 'auditor'] });
      expect(now.statusCode).toBe(200);
      // The demoted admin's own token lost admin at once.
      expect((await call('PATCH', `/v1/humans/${secondId}`, token, { name: 'Two' })).statusCode).toBe(403);
    });

    it.each([
      [{}, 'body'],
      [{ nickname: 'x' }, 'body.nickname'],
      [{ status: 'gone' }, 'body.status'],
      [{ roles: [] }, 'body.roles'],
      [{ roles: 'admin' }, 'body.roles'],
      [{ name: 7 }, 'body.name'],
    ])('refuses a bad body %j naming %s', async (body, field) => {
      const res = await call('PATCH', `/v1/humans/${adminId}`, t.adminToken, body);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details.field).toBe(field);
    });

    it('answers 404 for an unknown id or another tenant, 400 for a bad id', async () => {
      const body = { name: 'X' };
      expect(
        (await call('PATCH', '/v1/humans/usr_00000000000000000000000000', t.adminToken, body)).statusCode,
      ).toBe(404);
      expect((await call('PATCH', `/v1/humans/${otherTenant.humanId}`, t.adminToken, body)).statusCode).toBe(
        404,
      );
      const bad = await call('PATCH', '/v1/humans/nope', t.adminToken, body);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.details.field).toBe('params.id');
    });

    it('refuses a non-admin, even on themself (403), an agent key (403) and no credential (401)', async () => {
      const viewer = await makeHuman(['viewer', 'security']);
      const self = await call('PATCH', `/v1/humans/${viewer.id}`, viewer.token, { roles: ['admin'] });
      expect(self.statusCode).toBe(403);
      expect((await call('PATCH', `/v1/humans/${adminId}`, agentKey, { name: 'X' })).statusCode).toBe(403);
      expect((await call('PATCH', `/v1/humans/${adminId}`, undefined, { name: 'X' })).statusCode).toBe(401);
    });
  });
});
