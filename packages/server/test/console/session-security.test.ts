import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHuman, createOtherTenant, request } from '../helpers/api.js';
import { databaseDigest } from '../helpers/db-digest.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { type Browser, browse, signIn } from './console-client.js';

/** What a forged, ended or missing session gets: 401 and nothing of the tenant's. */
async function expectSignedOut(t: TestNode, browser: Pick<Browser, 'cookie' | 'csrfToken'>) {
  for (const url of ['/v1/console/session', '/v1/me', '/v1/agents', '/v1/audit/events']) {
    const res = await browse(t.node, browser, 'GET', url);
    expect(res.statusCode, url).toBe(401);
    expect(Object.keys(res.json())).toEqual(['error']);
    expect(res.json().error.code).toBe('unauthenticated');
  }
}

describe.each(DATABASES)('console sessions: security (%s)', (db) => {
  let t: TestNode;
  let now = Date.now();
  beforeAll(async () => {
    t = await startTestNode(db, { clock: () => now });
  });
  afterAll(() => t?.close());

  it('refuses forged cookies: random, malformed, a token or a code as the cookie', async () => {
    const code = (await request(t.node, 'POST', '/v1/console/sign-in-links', t.adminToken)).json().code;
    for (const cookie of [`wdn_s_${'a'.repeat(43)}`, 'garbage', t.adminToken, code]) {
      await expectSignedOut(t, { cookie, csrfToken: 'x' });
    }
  });

  it('ends a session left idle for 8 hours, and any session after 7 days', async () => {
    const idle = await signIn(t.node, { token: t.adminToken });
    now += 8 * 3_600_000 - 1;
    expect((await browse(t.node, idle, 'GET', '/v1/me')).statusCode).toBe(200);
    // Used just now, in memory: flushed like every last-used time, it keeps the session alive.
    await t.node.lastUsed.flush();
    now += 8 * 3_600_000 - 1;
    expect((await browse(t.node, idle, 'GET', '/v1/me')).statusCode).toBe(200);
    await t.node.lastUsed.flush();
    now += 8 * 3_600_000;
    await expectSignedOut(t, idle);

    const busy = await signIn(t.node, { token: t.adminToken });
    for (let hours = 0; hours < 7 * 24; hours += 4) {
      now += 4 * 3_600_000;
      const res = await browse(t.node, busy, 'GET', '/v1/me');
      await t.node.lastUsed.flush();
      expect(res.statusCode, `after ${hours + 4} h`).toBe(hours + 4 < 7 * 24 ? 200 : 401);
    }
  });

  it('refuses a write with the cookie but without the right CSRF header, and changes nothing', async () => {
    const browser = await signIn(t.node, { token: t.adminToken });
    const before = await databaseDigest(t.node);
    const body = { email: 'csrf@example.test', name: 'Csrf', roles: ['viewer'] };
    for (const csrf of [false, '', 'wrong', `${browser.csrfToken}x`, browser.csrfToken.slice(1)]) {
      const res = await browse(t.node, browser, 'POST', '/v1/humans', { payload: body, csrf });
      expect(res.statusCode, String(csrf)).toBe(403);
      expect(res.json().error.code).toBe('csrf_required');
    }
    const out = await browse(t.node, browser, 'POST', '/v1/console/sign-out', { csrf: false });
    expect(out.json().error.code).toBe('csrf_required');
    await t.node.lastUsed.flush();
    expect(await databaseDigest(t.node)).toEqual(before);
    const made = await browse(t.node, browser, 'POST', '/v1/humans', { payload: body });
    expect(made.statusCode).toBe(201);
  });

  it("refuses another session's CSRF token", async () => {
    const mine = await signIn(t.node, { token: t.adminToken });
    const theirs = await signIn(t.node, { token: t.adminToken });
    const res = await browse(t.node, mine, 'POST', '/v1/console/sign-out', { csrf: theirs.csrfToken });
    expect(res.json().error.code).toBe('csrf_required');
  });

  it('never lets a cookie call an agent route', async () => {
    const browser = await signIn(t.node, { token: t.adminToken });
    await seedAgent(t.node);
    await t.node.lastUsed.flush();
    const before = await databaseDigest(t.node);
    const decide = await browse(t.node, browser, 'POST', '/v1/decide', {
      payload: { tool: 'kb.articles.search', args: { query: 'x' } },
    });
    expect(decide.statusCode).toBe(403);
    expect(decide.json().error.code).toBe('forbidden');
    const models = await browse(t.node, browser, 'GET', '/llm/openai/v1/models');
    expect([401, 403]).toContain(models.statusCode);
    await t.node.lastUsed.flush();
    expect(await databaseDigest(t.node)).toEqual(before);
  });

  it("carries the human's roles: an approver's session cannot read the audit", async () => {
    const approver = await addHuman(t.node, ['approver'], { now });
    const browser = await signIn(t.node, { token: approver.token });
    const audit = await browse(t.node, browser, 'GET', '/v1/audit/events');
    expect(audit.statusCode).toBe(403);
    expect(audit.json().error.code).toBe('forbidden');
    expect((await browse(t.node, browser, 'GET', '/v1/approvals')).statusCode).toBe(200);
    // A role taken away applies to the very next request.
    const auditor = await addHuman(t.node, ['auditor'], { now });
    const reader = await signIn(t.node, { token: auditor.token });
    expect((await browse(t.node, reader, 'GET', '/v1/audit/events')).statusCode).toBe(200);
    await request(t.node, 'PATCH', `/v1/humans/${auditor.id}`, t.adminToken, { roles: ['viewer'] });
    expect((await browse(t.node, reader, 'GET', '/v1/audit/events')).statusCode).toBe(403);
  });

  it('ends the sessions of a disabled human for good, and those opened with a revoked token', async () => {
    const person = await addHuman(t.node, ['viewer'], { now });
    const browser = await signIn(t.node, { token: person.token });
    expect((await browse(t.node, browser, 'GET', '/v1/me')).statusCode).toBe(200);
    await request(t.node, 'PATCH', `/v1/humans/${person.id}`, t.adminToken, { status: 'disabled' });
    await expectSignedOut(t, browser);
    await request(t.node, 'PATCH', `/v1/humans/${person.id}`, t.adminToken, { status: 'active' });
    await expectSignedOut(t, browser);
    const row = await t.node.storage.db
      .selectFrom('console_sessions')
      .select(['revoked_reason'])
      .where('id', '=', browser.sessionId)
      .executeTakeFirstOrThrow();
    expect(row.revoked_reason).toBe('human_disabled');

    const holder = await addHuman(t.node, ['viewer'], { now });
    const withToken = await signIn(t.node, { token: holder.token });
    const token = await t.node.storage.db
      .selectFrom('human_tokens')
      .select('id')
      .where('human_id', '=', holder.id)
      .executeTakeFirstOrThrow();
    const listed = async () =>
      (await request(t.node, 'GET', '/v1/console/sessions?all=true', t.adminToken))
        .json()
        .sessions.map((s: { id: string }) => s.id);
    expect(await listed()).toContain(withToken.sessionId);
    await request(t.node, 'DELETE', `/v1/tokens/${token.id}`, t.adminToken);
    await expectSignedOut(t, withToken);
    expect(await listed()).not.toContain(withToken.sessionId);
  });

  it('lists and revokes sessions: own ones, an admin any of the tenant, never another tenant', async () => {
    const viewer = await addHuman(t.node, ['viewer'], { now });
    const viewerBrowser = await signIn(t.node, { token: viewer.token });
    const adminBrowser = await signIn(t.node, { token: t.adminToken });
    const own = await browse(t.node, viewerBrowser, 'GET', '/v1/console/sessions');
    expect(own.json().sessions).toEqual([
      expect.objectContaining({ id: viewerBrowser.sessionId, current: true }),
    ]);
    expect((await browse(t.node, viewerBrowser, 'GET', '/v1/console/sessions?all=true')).statusCode).toBe(
      403,
    );
    const all = await browse(t.node, adminBrowser, 'GET', '/v1/console/sessions?all=true');
    expect(all.json().sessions.map((s: { id: string }) => s.id)).toEqual(
      expect.arrayContaining([viewerBrowser.sessionId, adminBrowser.sessionId]),
    );
    // The viewer cannot end the admin's session; the admin can end the viewer's.
    const refused = await browse(
      t.node,
      viewerBrowser,
      'DELETE',
      `/v1/console/sessions/${adminBrowser.sessionId}`,
    );
    expect(refused.statusCode).toBe(403);
    const other = await createOtherTenant(t.node, 'sessions-other');
    const foreign = await request(
      t.node,
      'DELETE',
      `/v1/console/sessions/${viewerBrowser.sessionId}`,
      other.adminToken,
    );
    expect(foreign.statusCode).toBe(404);
    expect((await browse(t.node, viewerBrowser, 'GET', '/v1/me')).statusCode).toBe(200);
    const revoked = await browse(
      t.node,
      adminBrowser,
      'DELETE',
      `/v1/console/sessions/${viewerBrowser.sessionId}`,
    );
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().session.revokedAt).not.toBeNull();
    await expectSignedOut(t, viewerBrowser);
    const twice = await request(
      t.node,
      'DELETE',
      `/v1/console/sessions/${viewerBrowser.sessionId}`,
      t.adminToken,
    );
    expect(twice.statusCode).toBe(409);
  });

  it('uses the bearer token, not the cookie, when a request carries both', async () => {
    const viewer = await addHuman(t.node, ['viewer'], { now });
    const adminBrowser = await signIn(t.node, { token: t.adminToken });
    const res = await t.node.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: `Bearer ${viewer.token}`, cookie: `warden_session=${adminBrowser.cookie}` },
    });
    expect(res.json().human.id).toBe(viewer.id);
  });
});
