import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../src/credentials/secrets.js';
import { auditEventsOf, createOtherTenant, type Method, request } from './helpers/api.js';
import { seedAgent } from './helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from './helpers/test-node.js';

describe.each(DATABASES)('human API tokens (%s)', (db) => {
  let t: TestNode;
  let fakeNow = Date.now();
  let adminId: string;
  let otherTenant: { adminToken: string; humanId: string; tokenId: string };
  let agentKey: string;
  let serial = 0;

  const call = (method: Method, url: string, token?: string, payload?: object) =>
    request(t.node, method, url, token, payload);

  async function makeHuman(roles: string[]): Promise<{ id: string; token: string; tokenId: string }> {
    const email = `holder${++serial}@example.test`;
    const created = await call('POST', '/v1/humans', t.adminToken, {
      email,
      name: `Holder ${serial}`,
      roles,
    });
    const id: string = created.json().human.id;
    const token = await call('POST', `/v1/humans/${id}/tokens`, t.adminToken, { name: 'first' });
    return { id, token: token.json().secret, tokenId: token.json().token.id };
  }

  const auditOf = (subjectId: string) => auditEventsOf(t.node, subjectId);

  beforeAll(async () => {
    // The node's clock is ours, so expiry can be tested without waiting.
    t = await startTestNode(db, { clock: () => fakeNow });
    adminId = (await call('GET', '/v1/me', t.adminToken)).json().human.id;
    const other = await createOtherTenant(t.node);
    otherTenant = { adminToken: other.adminToken, humanId: other.adminId, tokenId: other.tokenId };
    agentKey = (await seedAgent(t.node)).key;
  });
  afterAll(() => t.close());

  describe('POST /v1/humans/:id/tokens', () => {
    it('issues a working token shown once, and audits it without the secret', async () => {
      const human = await makeHuman(['auditor']);
      const res = await call('POST', `/v1/humans/${human.id}/tokens`, t.adminToken, {
        name: 'laptop',
        expiresInSeconds: 3600,
      });
      expect(res.statusCode).toBe(201);
      const { token, secret } = res.json();
      expect(secret).toMatch(/^wdn_u_[A-Za-z0-9_-]{43}$/);
      expect(token).toEqual({
        id: expect.stringMatching(/^tok_/),
        name: 'laptop',
        hint: secret.slice(0, 10),
        createdAt: new Date(fakeNow).toISOString(),
        expiresAt: new Date(fakeNow + 3_600_000).toISOString(),
        revokedAt: null,
        lastUsedAt: null,
      });
      const me = await call('GET', '/v1/me', secret);
      expect(me.statusCode).toBe(200);
      expect(me.json().human.id).toBe(human.id);

      const events = await auditOf(token.id);
      expect(events.map((e) => e.type)).toEqual(['token.create']);
      expect(events[0]?.actor).toEqual({ type: 'human', id: adminId });
      expect(events[0]?.payload).toMatchObject({ humanId: human.id, name: 'laptop' });
      const raw = JSON.stringify(events);
      expect(raw).not.toContain(secret);
      expect(raw).not.toContain(hashSecret(secret));
    });

    it('lets a human issue their own token without expiry', async () => {
      const human = await makeHuman(['viewer']);
      const res = await call('POST', `/v1/humans/${human.id}/tokens`, human.token, { name: 'cli' });
      expect(res.statusCode).toBe(201);
      expect(res.json().token.expiresAt).toBeNull();
      expect((await call('GET', '/v1/me', res.json().secret)).statusCode).toBe(200);
    });

    it('refuses an expired token (401)', async () => {
      const human = await makeHuman(['viewer']);
      const res = await call('POST', `/v1/humans/${human.id}/tokens`, human.token, {
        name: 'short',
        expiresInSeconds: 60,
      });
      const secret = res.json().secret;
      expect((await call('GET', '/v1/me', secret)).statusCode).toBe(200);
      fakeNow += 59_000;
      expect((await call('GET', '/v1/me', secret)).statusCode).toBe(200);
      fakeNow += 2_000;
      const expired = await call('GET', '/v1/me', secret);
      expect(expired.statusCode).toBe(401);
      expect(expired.json().error.code).toBe('unauthenticated');
      // The holder's other (unexpiring) token still works.
      expect((await call('GET', '/v1/me', human.token)).statusCode).toBe(200);
    });

    it.each([
      [{ name: 'x', expiresInSeconds: 59 }, 'body.expiresInSeconds'],
      [{ name: 'x', expiresInSeconds: 31_536_001 }, 'body.expiresInSeconds'],
      [{ name: 'x', expiresInSeconds: 'soon' }, 'body.expiresInSeconds'],
      [{ name: 'x', expiresInSeconds: 90.5 }, 'body.expiresInSeconds'],
      [{ name: 'x', scopes: ['all'] }, 'body.scopes'],
      [{}, 'body.name'],
      [{ name: '' }, 'body.name'],
      [{ name: 5 }, 'body.name'],
    ])('refuses a bad body %j naming %s', async (body, field) => {
      const before = await t.node.storage.db.selectFrom('human_tokens').select('id').execute();
      const res = await call('POST', `/v1/humans/${adminId}/tokens`, t.adminToken, body);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'invalid_request', details: { field } });
      expect(await t.node.storage.db.selectFrom('human_tokens').select('id').execute()).toHaveLength(
        before.length,
      );
    });

    it('answers 404 for an unknown human or another tenant, 400 for a bad id, 409 for a disabled human', async () => {
      const body = { name: 'x' };
      expect(
        (await call('POST', '/v1/humans/usr_00000000000000000000000000/tokens', t.adminToken, body))
          .statusCode,
      ).toBe(404);
      expect(
        (await call('POST', `/v1/humans/${otherTenant.humanId}/tokens`, t.adminToken, body)).statusCode,
      ).toBe(404);
      const bad = await call('POST', '/v1/humans/usr_1/tokens', t.adminToken, body);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.details.field).toBe('params.id');
      const human = await makeHuman(['viewer']);
      await call('PATCH', `/v1/humans/${human.id}`, t.adminToken, { status: 'disabled' });
      expect((await call('POST', `/v1/humans/${human.id}/tokens`, t.adminToken, body)).statusCode).toBe(409);
    });

    it("refuses a non-admin issuing someone else's token (403), an agent key (403), no credential (401)", async () => {
      const human = await makeHuman(['security', 'approver', 'auditor', 'owner', 'viewer']);
      const res = await call('POST', `/v1/humans/${adminId}/tokens`, human.token, { name: 'steal' });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('forbidden');
      expect((await call('POST', `/v1/humans/${human.id}/tokens`, agentKey, { name: 'x' })).statusCode).toBe(
        403,
      );
      expect((await call('POST', `/v1/humans/${human.id}/tokens`, undefined, { name: 'x' })).statusCode).toBe(
        401,
      );
    });
  });

  describe('GET /v1/humans/:id/tokens', () => {
    it('lists a human’s tokens, revoked ones included, without secrets', async () => {
      const human = await makeHuman(['viewer']);
      const second = await call('POST', `/v1/humans/${human.id}/tokens`, human.token, { name: 'second' });
      await call('DELETE', `/v1/tokens/${second.json().token.id}`, human.token);
      for (const token of [t.adminToken, human.token]) {
        const res = await call('GET', `/v1/humans/${human.id}/tokens`, token);
        expect(res.statusCode).toBe(200);
        const tokens = res.json().tokens;
        expect(tokens.map((k: { name: string }) => k.name)).toEqual(['first', 'second']);
        expect(tokens[1].revokedAt).toEqual(expect.any(String));
        expect(Object.keys(tokens[0]).sort()).toEqual(
          ['createdAt', 'expiresAt', 'hint', 'id', 'lastUsedAt', 'name', 'revokedAt'].sort(),
        );
        expect(res.body).not.toContain(second.json().secret);
      }
    });

    it('answers 404 for an unknown human or another tenant, 400 for a bad id', async () => {
      expect(
        (await call('GET', '/v1/humans/usr_00000000000000000000000000/tokens', t.adminToken)).statusCode,
      ).toBe(404);
      expect((await call('GET', `/v1/humans/${otherTenant.humanId}/tokens`, t.adminToken)).statusCode).toBe(
        404,
      );
      expect((await call('GET', '/v1/humans/x/tokens', t.adminToken)).statusCode).toBe(400);
    });

    it("refuses someone else's tokens to a non-admin (403), an agent key (403), no credential (401)", async () => {
      const human = await makeHuman(['auditor']);
      expect((await call('GET', `/v1/humans/${adminId}/tokens`, human.token)).statusCode).toBe(403);
      expect((await call('GET', `/v1/humans/${human.id}/tokens`, agentKey)).statusCode).toBe(403);
      expect((await call('GET', `/v1/humans/${human.id}/tokens`)).statusCode).toBe(401);
    });
  });

  describe('DELETE /v1/tokens/:id', () => {
    it('revokes: refused on the very next request, audited, and 409 the second time', async () => {
      const human = await makeHuman(['viewer']);
      const extra = await call('POST', `/v1/humans/${human.id}/tokens`, human.token, { name: 'extra' });
      const secret = extra.json().secret;
      const tokenId = extra.json().token.id;
      // Warm the credential cache so the revocation must evict it.
      expect((await call('GET', '/v1/me', secret)).statusCode).toBe(200);

      const res = await call('DELETE', `/v1/tokens/${tokenId}`, human.token);
      expect(res.statusCode).toBe(200);
      expect(res.json().token).toMatchObject({
        id: tokenId,
        name: 'extra',
        revokedAt: new Date(fakeNow).toISOString(),
      });
      const refused = await call('GET', '/v1/me', secret);
      expect(refused.statusCode).toBe(401);
      expect(refused.json().error.code).toBe('unauthenticated');
      expect((await call('GET', '/v1/me', human.token)).statusCode).toBe(200);

      const events = await auditOf(tokenId);
      expect(events.map((e) => e.type)).toEqual(['token.create', 'token.revoke']);
      expect(events[1]?.actor).toEqual({ type: 'human', id: human.id });
      expect(JSON.stringify(events)).not.toContain(hashSecret(secret));

      const again = await call('DELETE', `/v1/tokens/${tokenId}`, t.adminToken);
      expect(again.statusCode).toBe(409);
      expect(again.json().error.code).toBe('conflict');
      expect(await auditOf(tokenId)).toHaveLength(2);
    });

    it("lets an admin revoke anyone's token, and a holder revoke the token they are using", async () => {
      const human = await makeHuman(['owner']);
      expect((await call('GET', '/v1/me', human.token)).statusCode).toBe(200);
      expect((await call('DELETE', `/v1/tokens/${human.tokenId}`, t.adminToken)).statusCode).toBe(200);
      expect((await call('GET', '/v1/me', human.token)).statusCode).toBe(401);

      const self = await call('POST', `/v1/humans/${human.id}/tokens`, t.adminToken, { name: 'self' });
      const secret = self.json().secret;
      expect((await call('DELETE', `/v1/tokens/${self.json().token.id}`, secret)).statusCode).toBe(200);
      expect((await call('GET', '/v1/me', secret)).statusCode).toBe(401);
    });

    it('answers 404 for an unknown token or another tenant, 400 for a bad id', async () => {
      expect(
        (await call('DELETE', '/v1/tokens/tok_00000000000000000000000000', t.adminToken)).statusCode,
      ).toBe(404);
      const other = await call('DELETE', `/v1/tokens/${otherTenant.tokenId}`, t.adminToken);
      expect(other.statusCode).toBe(404);
      expect((await call('GET', '/v1/me', otherTenant.adminToken)).statusCode).toBe(200);
      const bad = await call('DELETE', `/v1/tokens/${adminId}`, t.adminToken);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.details.field).toBe('params.id');
    });

    it("refuses a non-admin revoking someone else's token (403), an agent key (403), no credential (401)", async () => {
      const a = await makeHuman(['viewer']);
      const b = await makeHuman(['viewer']);
      expect((await call('DELETE', `/v1/tokens/${b.tokenId}`, a.token)).statusCode).toBe(403);
      expect((await call('DELETE', `/v1/tokens/${b.tokenId}`, agentKey)).statusCode).toBe(403);
      expect((await call('DELETE', `/v1/tokens/${b.tokenId}`)).statusCode).toBe(401);
      expect((await call('GET', '/v1/me', b.token)).statusCode).toBe(200);
    });
  });
});
