import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant } from '../src/tenants/tenant-service.js';
import { auditEventsOf, type Method, request } from './helpers/api.js';
import { seedAgent } from './helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from './helpers/test-node.js';

describe.each(DATABASES)('groups (%s)', (db) => {
  let t: TestNode;
  let humans: { id: string; email: string; name: string }[];
  let viewerToken: string;
  let otherTenant: { adminToken: string; humanId: string; groupId: string };
  let agentKey: string;
  let serial = 0;

  const call = (method: Method, url: string, token?: string, payload?: object) =>
    request(t.node, method, url, token, payload);

  const ids = (n: number[]) => n.map((i) => humans[i]?.id ?? '');
  const groupName = () => `team-${++serial}`;

  const auditOf = (subjectId: string) => auditEventsOf(t.node, subjectId);

  beforeAll(async () => {
    t = await startTestNode(db);
    humans = [];
    for (const name of ['Ann', 'Bob', 'Cy']) {
      const res = await call('POST', '/v1/humans', t.adminToken, {
        email: `${name.toLowerCase()}@example.test`,
        name,
        roles: ['approver'],
      });
      humans.push(res.json().human);
    }
    const viewer = await call('POST', '/v1/humans', t.adminToken, {
      email: 'viewer@example.test',
      name: 'Vi',
      roles: ['viewer', 'approver', 'security'],
    });
    const token = await call('POST', `/v1/humans/${viewer.json().human.id}/tokens`, t.adminToken, {
      name: 'v',
    });
    viewerToken = token.json().secret;

    const other = await createTenant(t.node.storage, t.node.audit, {
      slug: 'other',
      name: 'Other',
      adminEmail: 'admin@other.test',
    });
    if (!other) throw new Error('second tenant not created');
    const otherGroup = await call('POST', '/v1/groups', other.adminToken.secret, { name: 'theirs' });
    otherTenant = {
      adminToken: other.adminToken.secret,
      humanId: other.adminId,
      groupId: otherGroup.json().group.id,
    };
    agentKey = (await seedAgent(t.node)).key;
  });
  afterAll(() => t.close());

  describe('POST /v1/groups', () => {
    it('creates a group with members in order, and audits it', async () => {
      const res = await call('POST', '/v1/groups', t.adminToken, {
        name: 'on-call-security',
        onCall: true,
        members: ids([2, 0]),
      });
      expect(res.statusCode).toBe(201);
      const group = res.json().group;
      expect(group).toEqual({
        id: expect.stringMatching(/^grp_[0-9a-z]{26}$/),
        name: 'on-call-security',
        onCall: true,
        members: [
          { humanId: humans[2]?.id, email: 'cy@example.test', name: 'Cy', position: 0 },
          { humanId: humans[0]?.id, email: 'ann@example.test', name: 'Ann', position: 1 },
        ],
        createdAt: expect.any(String),
      });
      const events = await auditOf(group.id);
      expect(events.map((e) => e.type)).toEqual(['group.create']);
      expect(events[0]?.payload).toEqual({
        name: 'on-call-security',
        onCall: true,
        members: ids([2, 0]),
      });
    });

    it('creates an empty group that is not on call by default', async () => {
      const res = await call('POST', '/v1/groups', t.adminToken, { name: 'empty.team_1' });
      expect(res.statusCode).toBe(201);
      expect(res.json().group).toMatchObject({ onCall: false, members: [] });
    });

    it('refuses a duplicate name (409) but allows it in another tenant', async () => {
      const name = groupName();
      expect((await call('POST', '/v1/groups', t.adminToken, { name })).statusCode).toBe(201);
      const again = await call('POST', '/v1/groups', t.adminToken, { name, members: ids([0]) });
      expect(again.statusCode).toBe(409);
      expect(again.json().error.code).toBe('conflict');
      expect((await call('POST', '/v1/groups', otherTenant.adminToken, { name })).statusCode).toBe(201);
    });

    it.each([
      [{ name: 'Support Leads' }, 'body.name'],
      [{ name: '-leads' }, 'body.name'],
      [{ name: 'a'.repeat(64) }, 'body.name'],
      [{ name: 5 }, 'body.name'],
      [{}, 'body.name'],
      [{ name: 'leads', description: 'no column for this yet' }, 'body.description'],
      [{ name: 'leads', onCall: 'yes' }, 'body.onCall'],
      [{ name: 'leads', members: 'usr_x' }, 'body.members'],
      [{ name: 'leads', members: ['nope'] }, 'body.members[0]'],
    ])('refuses a bad body %j naming %s', async (body, field) => {
      const res = await call('POST', '/v1/groups', t.adminToken, body);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'invalid_request', details: { field } });
    });

    it('refuses unknown, other-tenant and repeated members, naming the entry, and stores nothing', async () => {
      const cases: [string[], string][] = [
        [[...ids([0]), 'usr_00000000000000000000000000'], 'body.members[1]'],
        [[otherTenant.humanId], 'body.members[0]'],
        [ids([1, 2, 1]), 'body.members[2]'],
      ];
      for (const [members, field] of cases) {
        const res = await call('POST', '/v1/groups', t.adminToken, { name: 'bad-members', members });
        expect(res.statusCode).toBe(400);
        expect(res.json().error).toMatchObject({ code: 'invalid_request', details: { field } });
      }
      const list = await call('GET', '/v1/groups', t.adminToken);
      expect(list.json().groups.map((g: { name: string }) => g.name)).not.toContain('bad-members');
    });

    it('refuses a non-admin (403), an agent key (403) and no credential (401)', async () => {
      const body = { name: groupName() };
      const viewer = await call('POST', '/v1/groups', viewerToken, body);
      expect(viewer.statusCode).toBe(403);
      expect(viewer.json().error.code).toBe('forbidden');
      expect((await call('POST', '/v1/groups', agentKey, body)).statusCode).toBe(403);
      expect((await call('POST', '/v1/groups', undefined, body)).statusCode).toBe(401);
    });
  });

  describe('GET /v1/groups and GET /v1/groups/:id', () => {
    it("lists and answers the tenant's groups to any human", async () => {
      const created = await call('POST', '/v1/groups', t.adminToken, {
        name: groupName(),
        members: ids([1]),
      });
      const group = created.json().group;
      const list = await call('GET', '/v1/groups', viewerToken);
      expect(list.statusCode).toBe(200);
      const groups = list.json().groups;
      expect(groups).toContainEqual(group);
      expect(groups.map((g: { id: string }) => g.id)).not.toContain(otherTenant.groupId);
      const one = await call('GET', `/v1/groups/${group.id}`, viewerToken);
      expect(one.statusCode).toBe(200);
      expect(one.json()).toEqual({ group });
    });

    it('answers 404 for an unknown group or another tenant, 400 for a bad id', async () => {
      expect((await call('GET', '/v1/groups/grp_00000000000000000000000000', t.adminToken)).statusCode).toBe(
        404,
      );
      const other = await call('GET', `/v1/groups/${otherTenant.groupId}`, t.adminToken);
      expect(other.statusCode).toBe(404);
      expect(other.json().error.code).toBe('not_found');
      const bad = await call('GET', `/v1/groups/${humans[0]?.id}`, t.adminToken);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.details.field).toBe('params.id');
    });

    it('refuses an agent key (403) and no credential (401)', async () => {
      for (const url of ['/v1/groups', `/v1/groups/${otherTenant.groupId}`]) {
        expect((await call('GET', url, agentKey)).statusCode).toBe(403);
        expect((await call('GET', url)).statusCode).toBe(401);
      }
    });
  });

  describe('PUT /v1/groups/:id/members', () => {
    it('replaces the membership in the given order and audits the change', async () => {
      const created = await call('POST', '/v1/groups', t.adminToken, {
        name: groupName(),
        members: ids([0, 1]),
      });
      const id = created.json().group.id;
      const res = await call('PUT', `/v1/groups/${id}/members`, t.adminToken, { members: ids([2, 1]) });
      expect(res.statusCode).toBe(200);
      expect(res.json().group.members).toEqual([
        expect.objectContaining({ humanId: humans[2]?.id, position: 0 }),
        expect.objectContaining({ humanId: humans[1]?.id, position: 1 }),
      ]);
      expect((await call('GET', `/v1/groups/${id}`, t.adminToken)).json()).toEqual(res.json());
      const events = await auditOf(id);
      expect(events.map((e) => e.type)).toEqual(['group.create', 'group.update']);
      expect(events[1]?.payload).toEqual({
        changes: { members: { from: ids([0, 1]), to: ids([2, 1]) } },
      });

      const same = await call('PUT', `/v1/groups/${id}/members`, t.adminToken, { members: ids([2, 1]) });
      expect(same.statusCode).toBe(200);
      expect(await auditOf(id)).toHaveLength(2);

      const cleared = await call('PUT', `/v1/groups/${id}/members`, t.adminToken, { members: [] });
      expect(cleared.json().group.members).toEqual([]);
    });

    it('refuses bad bodies naming the field, and changes nothing', async () => {
      const created = await call('POST', '/v1/groups', t.adminToken, {
        name: groupName(),
        members: ids([0]),
      });
      const group = created.json().group;
      const cases: [object, string][] = [
        [{}, 'body.members'],
        [{ members: ids([1]), onCall: true }, 'body.onCall'],
        [{ members: [42] }, 'body.members[0]'],
        [{ members: [...ids([1]), otherTenant.humanId] }, 'body.members[1]'],
        [{ members: ids([1, 1]) }, 'body.members[1]'],
      ];
      for (const [body, field] of cases) {
        const res = await call('PUT', `/v1/groups/${group.id}/members`, t.adminToken, body);
        expect(res.statusCode).toBe(400);
        expect(res.json().error.details.field).toBe(field);
      }
      expect((await call('GET', `/v1/groups/${group.id}`, t.adminToken)).json().group).toEqual(group);
    });

    it('answers 404 for an unknown group or another tenant, 400 for a bad id', async () => {
      const body = { members: ids([0]) };
      expect(
        (await call('PUT', '/v1/groups/grp_00000000000000000000000000/members', t.adminToken, body))
          .statusCode,
      ).toBe(404);
      expect(
        (await call('PUT', `/v1/groups/${otherTenant.groupId}/members`, t.adminToken, body)).statusCode,
      ).toBe(404);
      expect((await call('PUT', '/v1/groups/leads/members', t.adminToken, body)).statusCode).toBe(400);
    });

    it('refuses a non-admin (403), an agent key (403) and no credential (401)', async () => {
      const created = await call('POST', '/v1/groups', t.adminToken, { name: groupName() });
      const url = `/v1/groups/${created.json().group.id}/members`;
      const body = { members: ids([0]) };
      expect((await call('PUT', url, viewerToken, body)).statusCode).toBe(403);
      expect((await call('PUT', url, agentKey, body)).statusCode).toBe(403);
      expect((await call('PUT', url, undefined, body)).statusCode).toBe(401);
      expect((await call('GET', url.replace('/members', ''), t.adminToken)).json().group.members).toEqual([]);
    });
  });

  describe('DELETE /v1/groups/:id', () => {
    it('deletes the group and its membership, and audits it', async () => {
      const created = await call('POST', '/v1/groups', t.adminToken, {
        name: groupName(),
        members: ids([0, 2]),
      });
      const group = created.json().group;
      const res = await call('DELETE', `/v1/groups/${group.id}`, t.adminToken);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ group });
      expect((await call('GET', `/v1/groups/${group.id}`, t.adminToken)).statusCode).toBe(404);
      const human = await call('GET', `/v1/humans/${humans[0]?.id}`, t.adminToken);
      expect(human.json().groups.map((g: { id: string }) => g.id)).not.toContain(group.id);
      const events = await auditOf(group.id);
      expect(events.map((e) => e.type)).toEqual(['group.create', 'group.delete']);
      expect(events[1]?.payload).toEqual({ name: group.name, members: ids([0, 2]) });
      expect((await call('DELETE', `/v1/groups/${group.id}`, t.adminToken)).statusCode).toBe(404);
      // The name is free again.
      expect((await call('POST', '/v1/groups', t.adminToken, { name: group.name })).statusCode).toBe(201);
    });

    it('answers 404 for another tenant, 400 for a bad id', async () => {
      expect((await call('DELETE', `/v1/groups/${otherTenant.groupId}`, t.adminToken)).statusCode).toBe(404);
      expect(
        (await call('GET', `/v1/groups/${otherTenant.groupId}`, otherTenant.adminToken)).statusCode,
      ).toBe(200);
      const bad = await call('DELETE', '/v1/groups/grp_short', t.adminToken);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.details.field).toBe('params.id');
    });

    it('refuses a non-admin (403), an agent key (403) and no credential (401)', async () => {
      const created = await call('POST', '/v1/groups', t.adminToken, { name: groupName() });
      const url = `/v1/groups/${created.json().group.id}`;
      expect((await call('DELETE', url, viewerToken)).statusCode).toBe(403);
      expect((await call('DELETE', url, agentKey)).statusCode).toBe(403);
      expect((await call('DELETE', url)).statusCode).toBe(401);
      expect((await call('GET', url, t.adminToken)).statusCode).toBe(200);
    });
  });
});
