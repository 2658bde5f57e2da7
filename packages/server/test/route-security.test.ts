import type { RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteAuth } from '../src/http/auth.js';
import { newId } from '../src/ids.js';
import { HUMAN_ROLES, type HumanRole } from '../src/tenants/roles.js';
import { type Browser, signIn } from './console/console-client.js';
import { addHuman, createOtherTenant } from './helpers/api.js';
import { databaseDigest } from './helpers/db-digest.js';
import { ROUTE_SECURITY, type RouteSecurity, type Victim } from './helpers/route-security.js';
import { seedAgent } from './helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from './helpers/test-node.js';

const NOT_OBJECTS = [null, [], 'a string', 7];

/** The OpenAPI security requirement of each kind of route (the schemes are in app.ts). */
const SECURITY_OF = {
  public: [],
  metrics: [],
  agent: [{ agentKey: [] }],
  human: [{ humanToken: [] }, { consoleSession: [] }],
  session: [{ consoleSession: [] }],
};

/** The roles that do not pass a route limited to `roles`: every role but admin and those. */
const rolesWithout = (roles: readonly HumanRole[]): HumanRole[] =>
  HUMAN_ROLES.filter((role) => role !== 'admin' && !roles.includes(role));

/**
 * Every registered route against the table in helpers/route-security.ts: the table must list
 * exactly the routes the node registers, and every rejected request must leave the database as it
 * was. The victim's resources live in the default tenant; the intruder is a second tenant.
 */
describe.each(DATABASES)('route security (%s)', (db) => {
  let t: TestNode;
  const routes = new Map<string, RouteOptions>();
  let victim: Victim;
  let victimAgentKey: string;
  let intruder: { adminToken: string; agentKey: string };
  const unprivileged = new Map<string, string>();
  /** The same people signed in to the console: the admin, the unprivileged, the intruder's admin. */
  let adminBrowser: Browser;
  let intruderBrowser: Browser;
  const unprivilegedBrowsers = new Map<string, Browser>();
  let baseline: Record<string, string>;

  const send = (
    method: string,
    url: string,
    token: string | undefined,
    body?: unknown,
    remoteAddress?: string,
  ) =>
    t.node.app.inject({
      method: method as 'GET',
      url,
      ...(remoteAddress ? { remoteAddress } : {}),
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });

  /** A request as the console sends it: the session cookie, and the CSRF header when `csrf`. */
  const sendWithCookie = (method: string, url: string, browser: Browser, csrf: boolean, body?: unknown) =>
    t.node.app.inject({
      method: method as 'GET',
      url,
      headers: {
        cookie: `warden_session=${browser.cookie}`,
        ...(csrf ? { 'x-warden-csrf': browser.csrfToken } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });

  beforeAll(async () => {
    t = await startTestNode(db, {
      onRoute: (route) => {
        // HEAD routes are Fastify's copies of the GET routes, with the same config.
        for (const method of [route.method].flat()) {
          if (method !== 'HEAD') routes.set(`${method} ${route.url}`, route);
        }
      },
    });
    const admin = t.adminToken;
    const call = async (method: string, url: string, body: unknown) => {
      const res = await send(method, url, admin, body);
      if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.body}`);
      return res.json();
    };
    const owner = await addHuman(t.node, ['owner']);
    const group = await call('POST', '/v1/groups', { name: 'support-leads', members: [owner.id] });
    const agent = await seedAgent(t.node, { ownerId: owner.id });
    victimAgentKey = agent.key;
    const decision = (
      await send('POST', '/v1/decide', agent.key, {
        tool: 'payments.refund',
        args: { amount: 600 },
        context: { taskId: 'ticket-4711' },
      })
    ).json();
    if (!decision.approvalRequest) throw new Error(`no approval opened: ${JSON.stringify(decision)}`);
    // The victim agent delegates to a second agent of its tenant, with its own key.
    const delegate = await seedAgent(t.node, { ownerId: owner.id });
    const delegation = await send('POST', '/v1/delegations', agent.key, {
      delegateId: delegate.agent.id,
      tools: ['payments.*'],
    });
    if (delegation.statusCode !== 201) throw new Error(`POST /v1/delegations: ${delegation.body}`);
    const budget = await call('POST', '/v1/budgets', {
      name: 'daily',
      scope: 'agent',
      agentId: agent.agent.id,
      period: 'day',
      unit: 'usd',
      limit: 100,
    });
    const rateLimit = await call('POST', '/v1/rate-limits', {
      name: 'burst',
      scope: 'agent',
      agentId: agent.agent.id,
      maxCalls: 100,
      windowSeconds: 60,
    });
    const campaign = await call('POST', '/v1/recert/campaigns', {
      name: 'victim campaign',
      deadline: '2099-01-01T00:00:00.000Z',
      scope: { owner: owner.id },
    });
    const tenantId = t.node.bootstrap.tenant.id;
    const now = Date.now();
    const deliveryId = newId('ntf', now);
    await t.node.storage.db
      .insertInto('notification_deliveries')
      .values({
        id: deliveryId,
        tenant_id: tenantId,
        channel: 'webhook',
        url: 'http://127.0.0.1:9/hook',
        type: 'approval.request',
        body: '{}',
        status: 'dead',
        attempts: 3,
        last_error: 'HTTP 503',
        next_attempt_at: now,
        lease_until: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const policyScheduleId = newId('pls', now);
    await t.node.storage.db
      .insertInto('policy_schedules')
      .values({
        tenant_id: tenantId,
        id: policyScheduleId,
        version: 'f'.repeat(64),
        files: '[]',
        status: 'scheduled',
        activate_at: now + 30 * 86_400_000,
        impact: '{}',
        created_by: 'system:test',
        created_at: now,
        closed_by: null,
        closed_at: null,
      })
      .execute();
    const event = await t.node.storage.db
      .selectFrom('audit_events')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .orderBy('seq')
      .executeTakeFirstOrThrow();
    const ownerSession = await signIn(t.node, { token: owner.token });
    victim = {
      sessionId: ownerSession.sessionId,
      humanId: owner.id,
      tokenId: t.node.bootstrap.created?.adminToken.id ?? '',
      groupId: group.group.id,
      agentId: agent.agent.id,
      keyId: agent.keyId,
      approvalId: decision.approvalRequest.id,
      // No grant is needed to be reached: the agent in the same path is the victim's.
      grantId: newId('grt', now),
      deliveryId,
      budgetId: budget.id,
      rateLimitId: rateLimit.rateLimit.id,
      decisionId: decision.decisionId,
      taskId: 'ticket-4711',
      eventId: event.id,
      delegationId: delegation.json().id,
      campaignId: campaign.campaign.id,
      policyScheduleId,
    };

    for (const entry of Object.values(ROUTE_SECURITY)) {
      if (entry.auth.kind !== 'human' || !entry.auth.roles) continue;
      const roles = rolesWithout(entry.auth.roles);
      const key = roles.join(',');
      if (!unprivileged.has(key)) {
        const token = (await addHuman(t.node, roles)).token;
        unprivileged.set(key, token);
        unprivilegedBrowsers.set(key, await signIn(t.node, { token }));
      }
    }
    const other = await createOtherTenant(t.node);
    intruder = {
      adminToken: other.adminToken,
      agentKey: (await seedAgent(t.node, { tenantId: other.tenantId, ownerId: other.adminId })).key,
    };
    adminBrowser = await signIn(t.node, { token: admin });
    intruderBrowser = await signIn(t.node, { token: other.adminToken });
    // Last-used times are written in the background; settle them before the baseline.
    await t.node.lastUsed.flush();
    baseline = await databaseDigest(t.node);
  });
  afterAll(() => t?.close());

  it('has one entry for every route, and no entry for a route that is gone', () => {
    expect([...routes.keys()].filter((route) => !(route in ROUTE_SECURITY))).toEqual([]);
    expect(Object.keys(ROUTE_SECURITY).filter((route) => !routes.has(route))).toEqual([]);
  });

  it.each(Object.entries(ROUTE_SECURITY))('%s', async (route, entry) => {
    const registered = routes.get(route);
    expect(registered, 'no such route').toBeDefined();
    expect(registered?.config?.auth).toEqual(entry.auth);
    const method = route.split(' ')[0] ?? 'GET';
    const { url, body } = entry.request(victim);

    if (entry.auth.kind === 'public') {
      const res = await send(method, url, undefined, body);
      expect(entry.anonymous ?? [200, 503]).toContain(res.statusCode);
      await t.node.lastUsed.flush();
      const before = baseline;
      baseline = await databaseDigest(t.node);
      expect(baseline).toEqual(before);
      return;
    }
    if (entry.auth.kind === 'metrics') {
      // No metrics token configured: loopback scrapes, anyone else is refused whatever they hold.
      expect((await send(method, url, undefined)).statusCode).toBe(200);
      for (const token of [undefined, t.adminToken, victimAgentKey]) {
        await expectError(send(method, url, token, undefined, '192.0.2.7'), 403, 'forbidden');
      }
      return;
    }
    if (entry.auth.kind === 'session') {
      // The cookie or nothing: no bearer credential of any kind stands in for it.
      for (const token of [undefined, t.adminToken, victimAgentKey]) {
        await expectError(send(method, url, token, body), 401, 'unauthenticated');
      }
      const forged = { ...adminBrowser, cookie: `wdn_s_${'f'.repeat(43)}` };
      await expectError(sendWithCookie(method, url, forged, true, body), 401, 'unauthenticated');
    } else {
      await expectError(send(method, url, undefined, body), 401, 'unauthenticated');
      await expectError(send(method, url, wrongKind(entry.auth), body), 403, wrongKindCode(entry.auth));
    }
    if (entry.auth.kind === 'human' && entry.auth.roles) {
      const key = rolesWithout(entry.auth.roles).join(',');
      await expectError(send(method, url, unprivileged.get(key), body), 403, 'forbidden');
      const browser = unprivilegedBrowsers.get(key);
      if (!browser) throw new Error(`no session for roles ${key}`);
      await expectError(sendWithCookie(method, url, browser, true, body), 403, 'forbidden');
    }
    if (entry.foreign !== null) {
      const token = entry.auth.kind === 'agent' ? intruder.agentKey : intruder.adminToken;
      const code = entry.foreign === 404 ? 'not_found' : 'invalid_request';
      await expectError(send(method, url, token, body), entry.foreign, code);
      if (entry.auth.kind !== 'agent') {
        await expectError(sendWithCookie(method, url, intruderBrowser, true, body), entry.foreign, code);
      }
    }
    if (entry.auth.kind === 'agent') {
      // Agents never ride a person's console session, even with its CSRF token.
      await expectError(sendWithCookie(method, url, adminBrowser, true, body), 403, 'forbidden');
    } else if (method !== 'GET') {
      await expectError(sendWithCookie(method, url, adminBrowser, false, body), 403, 'csrf_required');
    }
    if (registered?.schema?.body) {
      for (const notObject of NOT_OBJECTS) {
        const res = await send(method, url, rightCredential(entry), notObject);
        expect(res.statusCode, `body ${JSON.stringify(notObject)}`).toBe(400);
        expect(res.json().error).toMatchObject({ code: 'invalid_request', details: { field: 'body' } });
      }
    }
    await t.node.lastUsed.flush();
    // A change is reported against this route only: the next one compares with the new state.
    const before = baseline;
    baseline = await databaseDigest(t.node);
    expect(baseline).toEqual(before);
  });

  it('declares in /openapi.json the credential each route needs, and nothing for public ones', async () => {
    const doc = (await send('GET', '/openapi.json', undefined)).json() as {
      paths: Record<string, Record<string, { security?: unknown }>>;
    };
    const documented = new Map<string, unknown>();
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        documented.set(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`, operation.security);
      }
    }
    const expected = new Map<string, unknown>();
    for (const [route, entry] of Object.entries(ROUTE_SECURITY)) {
      if ((routes.get(route)?.schema as { hide?: boolean } | undefined)?.hide) continue;
      expected.set(route, SECURITY_OF[entry.auth.kind]);
    }
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(expected));
  });

  function wrongKind(auth: RouteAuth): string {
    return auth.kind === 'agent' ? t.adminToken : victimAgentKey;
  }

  function wrongKindCode(auth: RouteAuth): string {
    return auth.kind === 'human' && auth.decides ? 'separation_of_duties' : 'forbidden';
  }

  function rightCredential(entry: RouteSecurity): string {
    return entry.auth.kind === 'agent' ? victimAgentKey : t.adminToken;
  }
});

async function expectError(
  pending: Promise<{ statusCode: number; json(): { error?: { code?: string; requestId?: string } } }>,
  status: number,
  code: string,
): Promise<void> {
  const res = await pending;
  expect(res.statusCode, JSON.stringify(res.json())).toBe(status);
  expect(res.json().error).toMatchObject({ code, requestId: expect.any(String) });
}
