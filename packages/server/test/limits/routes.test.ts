import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RateLimitJson } from '../../src/limits/routes/rate-limit-schemas.js';
import { addHuman, auditEventsOf, createOtherTenant } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { type LimitsApp, limitsApp } from './limits-app.js';

const UNKNOWN_ID = `rtl_${'0'.repeat(26)}`;
const SYSTEM = { type: 'system', id: 'budgets-file' } as const;

interface Reply {
  statusCode: number;
  json(): unknown;
}

function expectError(res: Reply, status: number, code: string, field?: string) {
  expect(res.statusCode).toBe(status);
  const error = (res.json() as { error: { code: string; message: string; details?: { field?: string } } })
    .error;
  expect(error.code).toBe(code);
  if (field) {
    expect(error.details?.field).toBe(field);
    expect(error.message).toContain(field);
  }
  return error;
}

describe.each(DATABASES)('rate-limit routes (%s)', (kind) => {
  let t: TestNode;
  let limits: LimitsApp;
  let admin: string;
  let security: string;
  let approver: string;
  let viewer: string;
  let agentKey: string;
  let agentId: string;
  let other: Awaited<ReturnType<typeof createOtherTenant>>;
  let otherAgentId: string;
  let configRuleId: string;

  beforeAll(async () => {
    t = await startTestNode(kind, { policyDir: null });
    limits = await limitsApp(t.node);
    admin = t.adminToken;
    security = (await addHuman(t.node, ['security'])).token;
    approver = (await addHuman(t.node, ['approver'])).token;
    viewer = (await addHuman(t.node, ['viewer'])).token;
    const seeded = await seedAgent(t.node);
    agentKey = seeded.key;
    agentId = seeded.agent.id;
    other = await createOtherTenant(t.node);
    otherAgentId = (await seedAgent(t.node, { tenantId: other.tenantId, ownerId: other.adminId })).agent.id;
    const synced = await limits.service.syncFromConfig(
      t.node.bootstrap.tenant.id,
      [
        {
          name: 'file-rule',
          scope: 'agent',
          agentId: null,
          tier: 'sandbox',
          tool: null,
          maxCalls: 5,
          windowSeconds: 60,
        },
      ],
      SYSTEM,
    );
    configRuleId = synced.created[0]?.id ?? '';
  });
  afterAll(async () => {
    await limits?.close();
    await t?.close();
  });

  const count = async () => (await t.node.storage.db.selectFrom('rate_limits').select('id').execute()).length;
  const auditCount = async () =>
    (
      await t.node.storage.db
        .selectFrom('audit_events')
        .select('id')
        .where('tenant_id', '=', t.node.bootstrap.tenant.id)
        .execute()
    ).length;
  const create = async (body: object, token = admin) => {
    const res = await limits.call('POST', '/v1/rate-limits', token, body);
    expect(res.statusCode).toBe(201);
    return (res.json() as { rateLimit: RateLimitJson }).rateLimit;
  };
  let serial = 0;
  const fresh = (extra: object = {}) => ({
    name: `limit-${++serial}`,
    scope: 'agent',
    maxCalls: 100,
    windowSeconds: 60,
    ...extra,
  });

  describe('POST /v1/rate-limits', () => {
    it('creates a rule, audits it in the same transaction and reloads every cache', async () => {
      const before = await limits.cache.keys(
        { id: agentId, tenantId: t.node.bootstrap.tenant.id, tier: 'monitored' },
        null,
        'crm.read',
      );
      const rule = await create({
        name: 'crm-reads',
        scope: 'tool',
        tool: 'crm.*',
        agentId,
        maxCalls: 30,
        windowSeconds: 60,
      });
      expect(rule).toMatchObject({
        name: 'crm-reads',
        scope: 'tool',
        agentId,
        tier: null,
        tool: 'crm.*',
        maxCalls: 30,
        windowSeconds: 60,
        source: 'api',
      });
      expect(rule.id).toMatch(/^rtl_/);
      const events = await auditEventsOf(t.node, rule.id);
      expect(events.map((e) => e.type)).toEqual(['rate_limit.create']);
      expect(events[0]?.payload).toMatchObject({
        name: 'crm-reads',
        scope: 'tool',
        tool: 'crm.*',
        maxCalls: 30,
        source: 'api',
      });
      const after = await limits.cache.keys(
        { id: agentId, tenantId: t.node.bootstrap.tenant.id, tier: 'monitored' },
        null,
        'crm.read',
      );
      expect(after.length).toBe(before.length + 1);
      expect(after.map((k) => k.ruleId)).toContain(rule.id);
    });

    it('lets security create rules', async () => {
      expect((await create(fresh({ tier: 'trusted' }), security)).tier).toBe('trusted');
    });

    it.each([
      [{ scope: 'agent', maxCalls: 1, windowSeconds: 1 }, 'body.name'],
      [{ name: 'x', scope: 'agent', windowSeconds: 1 }, 'body.maxCalls'],
      [{ name: 'x', scope: 'agent', maxCalls: 0, windowSeconds: 1 }, 'body.maxCalls'],
      [{ name: 'x', scope: 'agent', maxCalls: 1, windowSeconds: 604_801 }, 'body.windowSeconds'],
      [{ name: 'x', scope: 'global', maxCalls: 1, windowSeconds: 1 }, 'body.scope'],
      [{ name: 'x', scope: 'tool', maxCalls: 1, windowSeconds: 1 }, 'body.tool'],
      [{ name: 'x', scope: 'agent', tool: 'crm.*', maxCalls: 1, windowSeconds: 1 }, 'body.tool'],
      [
        {
          name: 'x',
          scope: 'agent',
          tier: 'sandbox',
          agentId: `agt_${'1'.repeat(26)}`,
          maxCalls: 1,
          windowSeconds: 1,
        },
        'body.tier',
      ],
      [{ name: 'x', scope: 'agent', agentId: 'me', maxCalls: 1, windowSeconds: 1 }, 'body.agentId'],
      [{ name: 'x', scope: 'agent', maxCalls: 1, windowSeconds: 1, burst: 2 }, 'body.burst'],
    ])('refuses %o naming %s and changes nothing', async (body, field) => {
      const [rules, events] = [await count(), await auditCount()];
      expectError(await limits.call('POST', '/v1/rate-limits', admin, body), 400, 'invalid_request', field);
      expect(await count()).toBe(rules);
      expect(await auditCount()).toBe(events);
    });

    it("refuses another tenant's agent as an unknown agent", async () => {
      const rules = await count();
      expectError(
        await limits.call('POST', '/v1/rate-limits', admin, fresh({ agentId: otherAgentId })),
        400,
        'invalid_request',
        'body.agentId',
      );
      expect(await count()).toBe(rules);
    });

    it('refuses a name already taken, including by a budgets-file rule', async () => {
      const rules = await count();
      expectError(
        await limits.call('POST', '/v1/rate-limits', admin, fresh({ name: 'crm-reads' })),
        409,
        'conflict',
      );
      expectError(
        await limits.call('POST', '/v1/rate-limits', admin, fresh({ name: 'file-rule' })),
        409,
        'conflict',
      );
      expect(await count()).toBe(rules);
    });

    it('refuses callers without the right credential or role', async () => {
      const rules = await count();
      expectError(await limits.call('POST', '/v1/rate-limits', undefined, fresh()), 401, 'unauthenticated');
      expectError(await limits.call('POST', '/v1/rate-limits', agentKey, fresh()), 403, 'forbidden');
      expectError(await limits.call('POST', '/v1/rate-limits', approver, fresh()), 403, 'forbidden');
      expectError(await limits.call('POST', '/v1/rate-limits', viewer, fresh()), 403, 'forbidden');
      expect(await count()).toBe(rules);
    });
  });

  describe('GET /v1/rate-limits', () => {
    it("lists the tenant's rules by name, API and budgets-file ones, to any human", async () => {
      const res = await limits.call('GET', '/v1/rate-limits', viewer);
      expect(res.statusCode).toBe(200);
      const rules = (res.json() as { rateLimits: RateLimitJson[] }).rateLimits;
      const names = rules.map((r) => r.name);
      expect(names).toEqual([...names].sort());
      expect(rules.find((r) => r.name === 'file-rule')).toMatchObject({
        source: 'config',
        tier: 'sandbox',
        maxCalls: 5,
      });
      expect(names).toContain('crm-reads');
    });

    it("shows another tenant nothing of this tenant's rules", async () => {
      await create(fresh({ name: 'tenant-one-only' }));
      const res = await limits.call('GET', '/v1/rate-limits', other.adminToken);
      expect(res.statusCode).toBe(200);
      expect((res.json() as { rateLimits: RateLimitJson[] }).rateLimits).toEqual([]);
    });

    it('refuses no credential and agent keys', async () => {
      expectError(await limits.call('GET', '/v1/rate-limits'), 401, 'unauthenticated');
      expectError(await limits.call('GET', '/v1/rate-limits', agentKey), 403, 'forbidden');
    });
  });

  describe('PATCH /v1/rate-limits/:id', () => {
    it('changes a rule, keeps its id and audits the changed fields', async () => {
      const rule = await create(fresh());
      const res = await limits.call('PATCH', `/v1/rate-limits/${rule.id}`, security, {
        maxCalls: 7,
        tier: 'sandbox',
      });
      expect(res.statusCode).toBe(200);
      expect((res.json() as { rateLimit: RateLimitJson }).rateLimit).toMatchObject({
        id: rule.id,
        maxCalls: 7,
        tier: 'sandbox',
        windowSeconds: 60,
      });
      const events = await auditEventsOf(t.node, rule.id);
      expect(events.map((e) => e.type)).toEqual(['rate_limit.create', 'rate_limit.update']);
      expect(events[1]?.payload).toMatchObject({
        changes: { maxCalls: { from: 100, to: 7 }, tier: { from: null, to: 'sandbox' } },
      });
    });

    it('clears a selector with null and checks the rule as a whole', async () => {
      const rule = await create(fresh({ agentId }));
      const cleared = await limits.call('PATCH', `/v1/rate-limits/${rule.id}`, admin, { agentId: null });
      expect((cleared.json() as { rateLimit: RateLimitJson }).rateLimit.agentId).toBeNull();
      // Turning it into a tool rule without a tool is refused, naming the missing field.
      expectError(
        await limits.call('PATCH', `/v1/rate-limits/${rule.id}`, admin, { scope: 'tool' }),
        400,
        'invalid_request',
        'body.tool',
      );
      expectError(
        await limits.call('PATCH', `/v1/rate-limits/${rule.id}`, admin, { name: 'crm-reads' }),
        409,
        'conflict',
      );
      const events = await auditEventsOf(t.node, rule.id);
      expect(events.map((e) => e.type)).toEqual(['rate_limit.create', 'rate_limit.update']);
    });

    it('refuses bad input naming the field', async () => {
      const rule = await create(fresh());
      expectError(
        await limits.call('PATCH', `/v1/rate-limits/${rule.id}`, admin, {}),
        400,
        'invalid_request',
      );
      expectError(
        await limits.call('PATCH', `/v1/rate-limits/${rule.id}`, admin, { windowSeconds: 0 }),
        400,
        'invalid_request',
        'body.windowSeconds',
      );
      expectError(
        await limits.call('PATCH', '/v1/rate-limits/nope', admin, { maxCalls: 1 }),
        400,
        'invalid_request',
        'params.id',
      );
    });

    it('answers 409 for a budgets-file rule and 404 for unknown or foreign ids', async () => {
      const error = expectError(
        await limits.call('PATCH', `/v1/rate-limits/${configRuleId}`, admin, { maxCalls: 1000 }),
        409,
        'conflict',
      );
      expect(error.message).toContain('managed by the budgets file');
      expectError(
        await limits.call('PATCH', `/v1/rate-limits/${UNKNOWN_ID}`, admin, { maxCalls: 1 }),
        404,
        'not_found',
      );
      const rule = await create(fresh());
      expectError(
        await limits.call('PATCH', `/v1/rate-limits/${rule.id}`, other.adminToken, { maxCalls: 1 }),
        404,
        'not_found',
      );
      const list = (await limits.call('GET', '/v1/rate-limits', admin)).json() as {
        rateLimits: RateLimitJson[];
      };
      expect(list.rateLimits.find((r) => r.id === configRuleId)?.maxCalls).toBe(5);
      expect(list.rateLimits.find((r) => r.id === rule.id)?.maxCalls).toBe(100);
    });

    it('refuses callers without the right credential or role', async () => {
      const rule = await create(fresh());
      const url = `/v1/rate-limits/${rule.id}`;
      expectError(await limits.call('PATCH', url, undefined, { maxCalls: 1 }), 401, 'unauthenticated');
      expectError(await limits.call('PATCH', url, agentKey, { maxCalls: 1 }), 403, 'forbidden');
      expectError(await limits.call('PATCH', url, approver, { maxCalls: 1 }), 403, 'forbidden');
      expect((await auditEventsOf(t.node, rule.id)).map((e) => e.type)).toEqual(['rate_limit.create']);
    });
  });

  describe('DELETE /v1/rate-limits/:id', () => {
    it('deletes a rule, answers it as it was, audits and drops it from the cache', async () => {
      const rule = await create(fresh({ agentId }));
      const agent = { id: agentId, tenantId: t.node.bootstrap.tenant.id, tier: 'monitored' as const };
      expect((await limits.cache.keys(agent, null, 'x')).map((k) => k.ruleId)).toContain(rule.id);
      const res = await limits.call('DELETE', `/v1/rate-limits/${rule.id}`, security);
      expect(res.statusCode).toBe(200);
      expect((res.json() as { rateLimit: RateLimitJson }).rateLimit).toMatchObject({
        id: rule.id,
        name: rule.name,
      });
      expect((await auditEventsOf(t.node, rule.id)).map((e) => e.type)).toEqual([
        'rate_limit.create',
        'rate_limit.delete',
      ]);
      expect((await limits.cache.keys(agent, null, 'x')).map((k) => k.ruleId)).not.toContain(rule.id);
      expectError(await limits.call('DELETE', `/v1/rate-limits/${rule.id}`, admin), 404, 'not_found');
    });

    it('answers 409 for a budgets-file rule, 404 for foreign ids, 400 for a bad id', async () => {
      const error = expectError(
        await limits.call('DELETE', `/v1/rate-limits/${configRuleId}`, admin),
        409,
        'conflict',
      );
      expect(error.message).toContain('managed by the budgets file');
      const rule = await create(fresh());
      expectError(
        await limits.call('DELETE', `/v1/rate-limits/${rule.id}`, other.adminToken),
        404,
        'not_found',
      );
      expectError(
        await limits.call('DELETE', '/v1/rate-limits/rtl_x', admin),
        400,
        'invalid_request',
        'params.id',
      );
      const ids = (
        (await limits.call('GET', '/v1/rate-limits', admin)).json() as { rateLimits: RateLimitJson[] }
      ).rateLimits.map((r) => r.id);
      expect(ids).toEqual(expect.arrayContaining([configRuleId, rule.id]));
    });

    it('refuses callers without the right credential or role', async () => {
      const rule = await create(fresh());
      const url = `/v1/rate-limits/${rule.id}`;
      expectError(await limits.call('DELETE', url), 401, 'unauthenticated');
      expectError(await limits.call('DELETE', url, agentKey), 403, 'forbidden');
      expectError(await limits.call('DELETE', url, viewer), 403, 'forbidden');
      expect((await auditEventsOf(t.node, rule.id)).map((e) => e.type)).toEqual(['rate_limit.create']);
    });
  });
});
