import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHuman, auditEventsOf, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { browse, sessionCookieOf, signIn } from './console-client.js';

describe.each(DATABASES)('console sign-in (%s)', (db) => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode(db);
  });
  afterAll(() => t?.close());

  it('signs in with a human token: an HttpOnly, SameSite=Strict cookie, the CSRF token, the human', async () => {
    const res = await t.node.app.inject({
      method: 'POST',
      url: '/v1/console/sign-in',
      headers: { 'user-agent': 'test-browser/1.0' },
      payload: { token: t.adminToken },
    });
    expect(res.statusCode).toBe(200);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^warden_session=wdn_s_[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).toContain(`Max-Age=${7 * 86_400}`);
    expect(setCookie).not.toContain('Secure');
    const body = res.json();
    expect(body).toMatchObject({
      session: { id: expect.stringMatching(/^ses_/), method: 'token', userAgent: 'test-browser/1.0' },
      csrfToken: expect.any(String),
      human: { email: 'admin@localhost', roles: ['admin'] },
      tenant: { slug: 'default' },
    });
    expect(Date.parse(body.session.expiresAt) - Date.parse(body.session.createdAt)).toBe(7 * 86_400_000);
    // Only the hash is stored.
    const cookie = sessionCookieOf(res.headers['set-cookie']) ?? '';
    const rows = await t.node.storage.db.selectFrom('console_sessions').select('hash').execute();
    expect(rows.map((r) => r.hash)).not.toContain(cookie);
    const events = await auditEventsOf(t.node, body.session.id);
    expect(events.map((e) => e.type)).toEqual(['console.sign_in']);
    expect(events[0]?.payload).toMatchObject({ method: 'token' });
  });

  it('answers the session with the same CSRF token after a reload, and the API with the cookie', async () => {
    const browser = await signIn(t.node, { token: t.adminToken });
    const session = await browse(t.node, browser, 'GET', '/v1/console/session');
    expect(session.statusCode).toBe(200);
    expect(session.headers['set-cookie']).toBeUndefined();
    expect(session.json()).toMatchObject({
      csrfToken: browser.csrfToken,
      session: { id: browser.sessionId },
    });
    const me = await browse(t.node, browser, 'GET', '/v1/me');
    expect(me.statusCode).toBe(200);
    expect(me.json().human.email).toBe('admin@localhost');
  });

  it('refuses a bad token, an agent key, a revoked token and a disabled human alike: 401', async () => {
    const agent = await seedAgent(t.node);
    const revoked = await addHuman(t.node, ['viewer']);
    const tokenId = (
      await t.node.storage.db
        .selectFrom('human_tokens')
        .select('id')
        .where('human_id', '=', revoked.id)
        .executeTakeFirstOrThrow()
    ).id;
    expect((await request(t.node, 'DELETE', `/v1/tokens/${tokenId}`, t.adminToken)).statusCode).toBe(200);
    const disabled = await addHuman(t.node, ['viewer'], { status: 'disabled' });
    const before = await t.node.storage.db.selectFrom('console_sessions').select('id').execute();
    for (const token of [`wdn_u_${'x'.repeat(43)}`, agent.key, revoked.token, disabled.token, 'nonsense']) {
      const res = await t.node.app.inject({ method: 'POST', url: '/v1/console/sign-in', payload: { token } });
      expect(res.statusCode, token).toBe(401);
      expect(res.json().error.code).toBe('unauthenticated');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect(await t.node.storage.db.selectFrom('console_sessions').select('id').execute()).toEqual(before);
  });

  it('names the field for a body with neither or both of token and code', async () => {
    for (const payload of [{}, { token: t.adminToken, code: 'wdn_c_x' }, { token: '' }, { password: 'x' }]) {
      const res = await t.node.app.inject({ method: 'POST', url: '/v1/console/sign-in', payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.details.field).toMatch(/^body/);
    }
  });

  it('signs out: 204, the cookie cleared, the session refused on its next request', async () => {
    const browser = await signIn(t.node, { token: t.adminToken });
    const out = await browse(t.node, browser, 'POST', '/v1/console/sign-out');
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^warden_session=;/);
    for (const url of ['/v1/console/session', '/v1/me', '/v1/agents']) {
      const res = await browse(t.node, browser, 'GET', url);
      expect(res.statusCode, url).toBe(401);
      expect(res.json().error.code).toBe('unauthenticated');
    }
    const events = await auditEventsOf(t.node, browser.sessionId);
    expect(events.map((e) => e.type)).toEqual(['console.sign_in', 'console.sign_out']);
  });
});

describe('console sign-in behind https (WARDEN_PUBLIC_URL)', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode('sqlite', { settings: { publicUrl: 'https://warden.example.com' } });
  });
  afterAll(() => t?.close());

  it('marks the cookie Secure and links to the public address', async () => {
    const res = await t.node.app.inject({
      method: 'POST',
      url: '/v1/console/sign-in',
      payload: { token: t.adminToken },
    });
    expect(String(res.headers['set-cookie'])).toContain('; Secure');
    const link = await request(t.node, 'POST', '/v1/console/sign-in-links', t.adminToken);
    expect(link.json().url).toMatch(/^https:\/\/warden\.example\.com\/sign-in#code=wdn_c_/);
  });
});
