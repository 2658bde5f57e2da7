import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../src/credentials/secrets.js';
import { newId } from '../src/ids.js';
import type { Signal } from '../src/signals/signals.js';
import type { HumanRole } from '../src/tenants/roles.js';
import {
  addHuman as addStoredHuman,
  auditEventsOf,
  createOtherTenant,
  type Method,
  request,
} from './helpers/api.js';
import { DATABASES, startTestNode, type TestNode } from './helpers/test-node.js';

describe.each(DATABASES)('agent keys (%s)', (db) => {
  let t: TestNode;
  /** The node's clock: tests move it to let keys expire and overlaps end. */
  let now = Date.now();
  let otherAdminToken: string;
  let serial = 0;
  const signals: Signal[] = [];

  const call = (method: Method, url: string, token?: string, payload?: object) =>
    request(t.node, method, url, token, payload);

  /** Whether an agent key authenticates: an empty spawn body is a 400 once past authentication. */
  const authenticates = async (secret: string) => {
    const res = await call('POST', '/v1/agents/spawn', secret, {});
    expect([400, 401]).toContain(res.statusCode);
    return res.statusCode === 400;
  };

  const addHuman = (roles: HumanRole[]) => addStoredHuman(t.node, roles, { now });

  async function createAgent(ownerId: string, token = t.adminToken) {
    const res = await call('POST', '/v1/agents', token, {
      name: `keyed-${++serial}`,
      ownerId,
      purpose: 'has keys',
      risk: 'internal',
      environments: ['sandbox'],
    });
    expect(res.statusCode).toBe(201);
    return res.json() as { agent: { id: string }; key: { id: string }; secret: string };
  }

  const keysOf = async (agentId: string) => {
    const res = await call('GET', `/v1/agents/${agentId}/keys`, t.adminToken);
    expect(res.statusCode).toBe(200);
    return res.json().keys as { id: string; revokedAt: string | null; expiresAt: string | null }[];
  };

  const auditTypes = async (subjectIds: string[]) =>
    (await auditEventsOf(t.node, subjectIds)).map((e) => e.type);

  beforeAll(async () => {
    t = await startTestNode(db, { clock: () => now });
    t.node.signals.subscribe((signal) => signals.push(signal));
    otherAdminToken = (await createOtherTenant(t.node)).adminToken;
  });
  afterAll(() => t.close());

  describe('POST /v1/agents/:id/keys', () => {
    it('issues another key that works beside the first, expiring when asked', async () => {
      const owner = await addHuman(['owner']);
      const created = await createAgent(owner.id);
      const res = await call('POST', `/v1/agents/${created.agent.id}/keys`, owner.token, {
        expiresInSeconds: 600,
      });
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(body).toEqual({
        key: {
          id: expect.stringMatching(/^key_/),
          hint: body.secret.slice(0, 10),
          createdAt: new Date(now).toISOString(),
          expiresAt: new Date(now + 600_000).toISOString(),
        },
        secret: expect.stringMatching(/^wdn_a_/),
      });
      expect(await authenticates(created.secret)).toBe(true);
      expect(await authenticates(body.secret)).toBe(true);
      now += 601_000;
      expect(await authenticates(body.secret)).toBe(false);
      expect(await authenticates(created.secret)).toBe(true);
      expect(await auditTypes([body.key.id])).toEqual(['key.create']);
    });

    it('issues a key without a body', async () => {
      const created = await createAgent(t.node.bootstrap.created?.adminId ?? '');
      const res = await call('POST', `/v1/agents/${created.agent.id}/keys`, t.adminToken);
      expect(res.statusCode).toBe(201);
      expect(res.json().key.expiresAt).toBeNull();
    });

    it('rotates: old keys keep working for the overlap, then stop; caches are told', async () => {
      const owner = await addHuman(['owner']);
      const created = await createAgent(owner.id);
      const agentId = created.agent.id;
      const second = (await call('POST', `/v1/agents/${agentId}/keys`, owner.token, {})).json();
      // Warm the authenticator's cache for both old keys.
      expect(await authenticates(created.secret)).toBe(true);
      expect(await authenticates(second.secret)).toBe(true);
      signals.length = 0;
      const res = await call('POST', `/v1/agents/${agentId}/keys`, owner.token, {
        rotate: { overlapSeconds: 300 },
      });
      expect(res.statusCode).toBe(201);
      const fresh = res.json();
      expect(signals).toEqual([
        {
          type: 'credential.revoked',
          tenantId: t.node.bootstrap.tenant.id,
          hashes: expect.arrayContaining([hashSecret(created.secret), hashSecret(second.secret)]),
        },
      ]);
      const keys = await keysOf(agentId);
      const revokesAt = new Date(now + 300_000).toISOString();
      // The frozen clock gives all three ids the same time part, so compare by id, not order.
      expect(Object.fromEntries(keys.map((k) => [k.id, k.revokedAt]))).toEqual({
        [created.key.id]: revokesAt,
        [second.key.id]: revokesAt,
        [fresh.key.id]: null,
      });
      now += 299_000;
      expect(await authenticates(created.secret)).toBe(true);
      expect(await authenticates(second.secret)).toBe(true);
      now += 2_000;
      expect(await authenticates(created.secret)).toBe(false);
      expect(await authenticates(second.secret)).toBe(false);
      expect(await authenticates(fresh.secret)).toBe(true);
      const events = await auditTypes([fresh.key.id, agentId]);
      expect(events.slice(-2)).toEqual(['key.create', 'key.rotate']);
    });

    it('rotates with no overlap: old keys stop at once', async () => {
      const created = await createAgent(t.node.bootstrap.created?.adminId ?? '');
      expect(await authenticates(created.secret)).toBe(true);
      const res = await call('POST', `/v1/agents/${created.agent.id}/keys`, t.adminToken, {
        rotate: { overlapSeconds: 0 },
      });
      expect(res.statusCode).toBe(201);
      expect(await authenticates(created.secret)).toBe(false);
      expect(await authenticates(res.json().secret)).toBe(true);
    });

    it('answers bad input with 400 naming the field', async () => {
      const created = await createAgent(t.node.bootstrap.created?.adminId ?? '');
      for (const [payload, field] of [
        [{ expiresInSeconds: 59 }, 'body.expiresInSeconds'],
        [{ expiresInSeconds: 31_536_001 }, 'body.expiresInSeconds'],
        [{ rotate: { overlapSeconds: 604_801 } }, 'body.rotate.overlapSeconds'],
        [{ rotate: {} }, 'body.rotate.overlapSeconds'],
        [{ secret: 'mine' }, 'body.secret'],
      ] as const) {
        const res = await call('POST', `/v1/agents/${created.agent.id}/keys`, t.adminToken, payload);
        expect(res.statusCode, JSON.stringify(payload)).toBe(400);
        expect(res.json().error.details.field).toBe(field);
      }
      expect(await keysOf(created.agent.id)).toHaveLength(1);
    });

    it('refuses retired agents with 409', async () => {
      const created = await createAgent(t.node.bootstrap.created?.adminId ?? '');
      await call('POST', `/v1/agents/${created.agent.id}/retire`, t.adminToken, {});
      const res = await call('POST', `/v1/agents/${created.agent.id}/keys`, t.adminToken, {});
      expect(res.statusCode).toBe(409);
      expect(res.json().error.message).toContain('retired');
    });

    it('refuses no credential, agent keys, other tenants, and humans who do not manage the agent', async () => {
      const created = await createAgent(t.node.bootstrap.created?.adminId ?? '');
      const url = `/v1/agents/${created.agent.id}/keys`;
      expect((await call('POST', url, undefined, {})).statusCode).toBe(401);
      expect((await call('POST', url, created.secret, {})).statusCode).toBe(403);
      expect((await call('POST', url, otherAdminToken, {})).statusCode).toBe(404);
      expect((await call('POST', `/v1/agents/${newId('agt')}/keys`, t.adminToken, {})).statusCode).toBe(404);
      for (const role of ['owner', 'viewer', 'auditor'] as const) {
        const human = await addHuman([role]);
        expect((await call('POST', url, human.token, {})).statusCode, role).toBe(403);
      }
      const security = await addHuman(['security']);
      expect((await call('POST', url, security.token, {})).statusCode).toBe(201);
    });
  });

  describe('GET /v1/agents/:id/keys', () => {
    it('lists every key without secrets or hashes', async () => {
      const created = await createAgent(t.node.bootstrap.created?.adminId ?? '');
      const viewer = await addHuman(['viewer']);
      const res = await call('GET', `/v1/agents/${created.agent.id}/keys`, viewer.token);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        keys: [
          {
            id: created.key.id,
            hint: created.secret.slice(0, 10),
            createdAt: expect.any(String),
            expiresAt: null,
            revokedAt: null,
            lastUsedAt: null,
          },
        ],
      });
      expect(res.body).not.toContain(hashSecret(created.secret));
    });

    it('refuses no credential, agent keys and other tenants', async () => {
      const created = await createAgent(t.node.bootstrap.created?.adminId ?? '');
      const url = `/v1/agents/${created.agent.id}/keys`;
      expect((await call('GET', url)).statusCode).toBe(401);
      expect((await call('GET', url, created.secret)).statusCode).toBe(403);
      expect((await call('GET', url, otherAdminToken)).statusCode).toBe(404);
    });
  });

  describe('DELETE /v1/agents/:id/keys/:keyId', () => {
    it('revokes a key at once, on the cache too; twice is a conflict', async () => {
      const owner = await addHuman(['owner']);
      const created = await createAgent(owner.id);
      const url = `/v1/agents/${created.agent.id}/keys/${created.key.id}`;
      expect(await authenticates(created.secret)).toBe(true);
      signals.length = 0;
      const res = await call('DELETE', url, owner.token);
      expect(res.statusCode).toBe(200);
      expect(res.json().key).toMatchObject({ id: created.key.id, revokedAt: new Date(now).toISOString() });
      expect(signals).toEqual([
        {
          type: 'credential.revoked',
          tenantId: t.node.bootstrap.tenant.id,
          hashes: [hashSecret(created.secret)],
        },
      ]);
      expect(await authenticates(created.secret)).toBe(false);
      const again = await call('DELETE', url, owner.token);
      expect(again.statusCode).toBe(409);
      expect(await auditTypes([created.key.id])).toEqual(['key.create', 'key.revoke']);
    });

    it('revokes a rotated key before its overlap ends', async () => {
      const created = await createAgent(t.node.bootstrap.created?.adminId ?? '');
      const agentId = created.agent.id;
      await call('POST', `/v1/agents/${agentId}/keys`, t.adminToken, { rotate: { overlapSeconds: 600 } });
      expect(await authenticates(created.secret)).toBe(true);
      const res = await call('DELETE', `/v1/agents/${agentId}/keys/${created.key.id}`, t.adminToken);
      expect(res.statusCode).toBe(200);
      expect(await authenticates(created.secret)).toBe(false);
    });

    it('answers 404 for keys of another agent, unknown keys and other tenants', async () => {
      const a = await createAgent(t.node.bootstrap.created?.adminId ?? '');
      const b = await createAgent(t.node.bootstrap.created?.adminId ?? '');
      expect(
        (await call('DELETE', `/v1/agents/${a.agent.id}/keys/${b.key.id}`, t.adminToken)).statusCode,
      ).toBe(404);
      expect(
        (await call('DELETE', `/v1/agents/${a.agent.id}/keys/${newId('key')}`, t.adminToken)).statusCode,
      ).toBe(404);
      expect(
        (await call('DELETE', `/v1/agents/${a.agent.id}/keys/${a.key.id}`, otherAdminToken)).statusCode,
      ).toBe(404);
      const malformed = await call('DELETE', `/v1/agents/${a.agent.id}/keys/nope`, t.adminToken);
      expect(malformed.json().error.details.field).toBe('params.keyId');
      expect(await authenticates(b.secret)).toBe(true);
    });

    it('refuses no credential, agent keys, and humans who do not manage the agent', async () => {
      const created = await createAgent(t.node.bootstrap.created?.adminId ?? '');
      const url = `/v1/agents/${created.agent.id}/keys/${created.key.id}`;
      expect((await call('DELETE', url)).statusCode).toBe(401);
      expect((await call('DELETE', url, created.secret)).statusCode).toBe(403);
      const viewer = await addHuman(['viewer']);
      expect((await call('DELETE', url, viewer.token)).statusCode).toBe(403);
      expect(await authenticates(created.secret)).toBe(true);
    });
  });
});
