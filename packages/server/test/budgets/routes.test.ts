import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHuman, auditEventsOf, createOtherTenant, type Method, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { decide } from './budget-fixtures.js';

const UNKNOWN_BUDGET = `bgt_${'0'.repeat(26)}`;
const UNKNOWN_AGENT = `agt_${'0'.repeat(26)}`;
const SEARCH = { tool: 'kb.articles.search', args: {} };

interface BudgetJson {
  id: string;
  name: string;
  scope: string;
  agentId: string | null;
  tier: string | null;
  role: string | null;
  period: string;
  unit: string;
  limit: number;
  thresholds: number[];
  onLimit: string;
  suspendAgent: boolean;
  source: string;
  createdAt: string;
  updatedAt: string;
}

interface Reply {
  statusCode: number;
  body: string;
  json(): unknown;
}

function expectError(res: Reply, status: number, code: string, field?: string) {
  expect(res.statusCode, res.body).toBe(status);
  const error = (res.json() as { error: { code: string; message: string; details?: { field?: string } } })
    .error;
  expect(error.code).toBe(code);
  if (field) {
    expect(error.details?.field).toBe(field);
    expect(error.message).toContain(field);
  }
  return error;
}

describe.each(DATABASES)('budget routes (%s)', (db) => {
  let t: TestNode;
  let admin: string;
  let security: { id: string; token: string };
  let readers: Record<'viewer' | 'approver' | 'auditor', string>;
  let agentId: string;
  let agentKey: string;
  let other: Awaited<ReturnType<typeof createOtherTenant>>;
  let otherAgentId: string;
  let configBudget: BudgetJson;
  let serial = 0;

  const tenantId = () => t.node.bootstrap.tenant.id;
  const call = (method: Method, url: string, token?: string, body?: object) =>
    request(t.node, method, url, token, body);
  const fresh = (extra: object = {}) => ({
    name: `route-budget-${++serial}`,
    scope: 'agent',
    agentId,
    period: 'day',
    unit: 'usd',
    limit: 12.5,
    ...extra,
  });
  const create = async (body: object, token = admin): Promise<BudgetJson> => {
    const res = await call('POST', '/v1/budgets', token, body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as BudgetJson;
  };
  /** Rows and audit events of the tenant: what an error must leave as it was. */
  const snapshot = async () => {
    const rows = await t.node.storage.db
      .selectFrom('budgets')
      .selectAll()
      .where('tenant_id', '=', tenantId())
      .orderBy('id')
      .execute();
    const events = await t.node.storage.db
      .selectFrom('audit_events')
      .select('id')
      .where('tenant_id', '=', tenantId())
      .execute();
    return { rows, events: events.length };
  };

  beforeAll(async () => {
    t = await startTestNode(db);
    admin = t.adminToken;
    security = await addHuman(t.node, ['security']);
    readers = {
      viewer: (await addHuman(t.node, ['viewer'])).token,
      approver: (await addHuman(t.node, ['approver'])).token,
      auditor: (await addHuman(t.node, ['auditor'])).token,
    };
    const seeded = await seedAgent(t.node);
    agentId = seeded.agent.id;
    agentKey = seeded.key;
    other = await createOtherTenant(t.node);
    otherAgentId = (await seedAgent(t.node, { tenantId: other.tenantId, ownerId: other.adminId })).agent.id;
    const listed = (await call('GET', '/v1/budgets', admin)).json() as { budgets: BudgetJson[] };
    configBudget = listed.budgets.find((b) => b.name === 'monitored-daily-usd') as BudgetJson;
  });
  afterAll(() => t.close());

  describe('happy paths', () => {
    it('creates a budget with defaults filled in, audited as budget.create by its author', async () => {
      const budget = await create(fresh({ name: 'support-daily' }), security.token);
      expect(budget).toMatchObject({
        name: 'support-daily',
        scope: 'agent',
        agentId,
        tier: null,
        role: null,
        period: 'day',
        unit: 'usd',
        limit: 12.5,
        thresholds: [50, 75, 90],
        onLimit: 'deny',
        suspendAgent: false,
        source: 'api',
      });
      expect(budget.id).toMatch(/^bgt_/);
      const events = await auditEventsOf(t.node, budget.id);
      expect(events.map((e) => [e.type, e.actor.type, e.actor.id])).toEqual([
        ['budget.create', 'human', security.id],
      ]);
      expect(events[0]?.payload).toMatchObject({ name: 'support-daily', limit: '$12.50', source: 'api' });
    });

    it('creates role, tenant and tier budgets with their own selectors', async () => {
      expect(
        await create(fresh({ scope: 'role', agentId: undefined, role: 'support-assistant' })),
      ).toMatchObject({ scope: 'role', role: 'support-assistant', agentId: null, tier: null });
      expect(
        await create(fresh({ scope: 'tenant', agentId: undefined, unit: 'tokens', limit: 1e6 })),
      ).toMatchObject({
        scope: 'tenant',
        unit: 'tokens',
        limit: 1_000_000,
      });
      expect(
        await create(
          fresh({
            agentId: undefined,
            tier: 'trusted',
            unit: 'calls',
            period: 'hour',
            limit: 100,
            thresholds: [80],
          }),
        ),
      ).toMatchObject({ tier: 'trusted', unit: 'calls', thresholds: [80] });
      expect(
        await create(
          fresh({ scope: 'task', period: 'task', unit: 'records', limit: 5000, suspendAgent: true }),
        ),
      ).toMatchObject({ scope: 'task', period: 'task', suspendAgent: true });
    });

    it('lists the budgets by name, to every human role of the tenant', async () => {
      for (const token of [admin, security.token, ...Object.values(readers)]) {
        const res = await call('GET', '/v1/budgets', token);
        expect(res.statusCode, res.body).toBe(200);
        const names = (res.json() as { budgets: BudgetJson[] }).budgets.map((b) => b.name);
        expect(names).toContain('support-daily');
        expect(names).toContain('monitored-daily-usd');
        expect(names).toEqual([...names].sort());
      }
    });

    it('shows a budget with its counters in the current window', async () => {
      const budget = await create(fresh({ unit: 'calls', period: 'hour', limit: 10 }));
      const empty = await call('GET', `/v1/budgets/${budget.id}`, readers.viewer);
      expect(empty.statusCode, empty.body).toBe(200);
      expect(empty.json()).toEqual({ budget, counters: [] });
      expect((await decide(t.node, agentKey, SEARCH)).json().effect).toBe('allow');
      expect((await decide(t.node, agentKey, SEARCH)).json().effect).toBe('allow');
      const shown = await call('GET', `/v1/budgets/${budget.id}?limit=5`, readers.auditor);
      expect(shown.statusCode, shown.body).toBe(200);
      const [counter] = (shown.json() as { counters: Record<string, unknown>[] }).counters;
      expect(counter).toMatchObject({
        counter: agentId,
        used: 2,
        reserved: 0,
        spent: 2,
        remaining: 8,
        percent: 20,
      });
      const start = Date.parse(counter?.windowStart as string);
      expect(Date.parse(counter?.windowEnd as string) - start).toBe(3_600_000);
      await call('DELETE', `/v1/budgets/${budget.id}`, admin);
    });

    it('changes a budget and audits budget.update', async () => {
      const budget = await create(fresh());
      const res = await call('PATCH', `/v1/budgets/${budget.id}`, security.token, {
        limit: 20,
        thresholds: [60, 30],
        onLimit: 'alert',
      });
      expect(res.statusCode, res.body).toBe(200);
      const changed = res.json() as BudgetJson;
      expect(changed).toMatchObject({
        id: budget.id,
        name: budget.name,
        limit: 20,
        thresholds: [30, 60],
        onLimit: 'alert',
        createdAt: budget.createdAt,
      });
      const renamed = await call('PATCH', `/v1/budgets/${budget.id}`, admin, {
        name: `${budget.name}-renamed`,
      });
      expect(renamed.statusCode, renamed.body).toBe(200);
      expect((await call('GET', `/v1/budgets/${budget.id}`, admin)).json()).toMatchObject({
        budget: { name: `${budget.name}-renamed`, limit: 20 },
      });
      const events = await auditEventsOf(t.node, budget.id);
      expect(events.map((e) => e.type)).toEqual(['budget.create', 'budget.update', 'budget.update']);
      expect(events[1]?.payload).toMatchObject({ limit: '$20.00', thresholds: [30, 60], onLimit: 'alert' });
      expect(events[1]?.actor).toMatchObject({ type: 'human', id: security.id });
    });

    it('deletes a budget, answers it as it was and audits budget.delete', async () => {
      const budget = await create(fresh());
      const res = await call('DELETE', `/v1/budgets/${budget.id}`, security.token);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual(budget);
      expectError(await call('GET', `/v1/budgets/${budget.id}`, admin), 404, 'not_found');
      const names = (
        (await call('GET', '/v1/budgets', admin)).json() as { budgets: BudgetJson[] }
      ).budgets.map((b) => b.id);
      expect(names).not.toContain(budget.id);
      expect((await auditEventsOf(t.node, budget.id)).map((e) => e.type)).toEqual([
        'budget.create',
        'budget.delete',
      ]);
    });

    it('lists every budget governing an agent with what it has used and left', async () => {
      const seeded = await seedAgent(t.node, { roles: ['support-assistant'], tier: 'trusted' });
      const own = await create(fresh({ agentId: seeded.agent.id, unit: 'calls', limit: 5 }));
      expect((await decide(t.node, seeded.key, SEARCH)).json().effect).toBe('allow');
      const res = await call('GET', `/v1/agents/${seeded.agent.id}/budgets`, readers.viewer);
      expect(res.statusCode, res.body).toBe(200);
      const counters = (res.json() as { budgets: { budget: BudgetJson; counter: string; used: number }[] })
        .budgets;
      const byName = new Map(counters.map((c) => [c.budget.name, c]));
      expect(byName.get(own.name)).toMatchObject({ counter: seeded.agent.id, used: 1, remaining: 4 });
      expect(byName.get('trusted-daily-usd')).toMatchObject({
        counter: seeded.agent.id,
        used: 0,
        remaining: 1000,
      });
      // The role budget created above governs it too (one counter for the role); the monitored default does not.
      expect(counters.some((c) => c.counter === 'role:support-assistant')).toBe(true);
      expect(byName.has('monitored-daily-usd')).toBe(false);
      expect(byName.has('support-daily')).toBe(false);
    });
  });

  describe('bad input', () => {
    it.each([
      [{ limit: 0 }, 'body.limit'],
      [{ limit: -3 }, 'body.limit'],
      [{ unit: 'euros' }, 'body.unit'],
      [{ scope: 'planet' }, 'body.scope'],
      [{ period: 'task' }, 'body.period'],
      [{ scope: 'role', agentId: undefined }, 'body.role'],
      [{ scope: 'tenant', role: 'x', agentId: undefined }, 'body.role'],
      [{ scope: 'tenant' }, 'body.agentId'],
      [{ agentId: 'someone' }, 'body.agentId'],
      [{ agentId: UNKNOWN_AGENT }, 'body.agentId'],
      [{ tier: 'sandbox' }, 'body.tier'],
      [{ thresholds: [0] }, 'body.thresholds[0]'],
      [{ thresholds: [50, 100] }, 'body.thresholds[1]'],
      [{ thresholds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] }, 'body.thresholds'],
      [{ unit: 'calls', limit: 2.5 }, 'body.limit'],
      [{ unit: 'tokens', limit: 0.5 }, 'body.limit'],
      [{ name: 'Has Spaces' }, 'body.name'],
      [{ name: undefined }, 'body.name'],
      [{ scope: 'tenant', agentId: undefined, suspendAgent: true }, 'body.suspendAgent'],
      [{ colour: 'red' }, 'body.colour'],
    ])('refuses %o on create naming %s, changing nothing', async (extra, field) => {
      const before = await snapshot();
      expectError(await call('POST', '/v1/budgets', admin, fresh(extra)), 400, 'invalid_request', field);
      expect(await snapshot()).toEqual(before);
    });

    it("refuses another tenant's agent as an unknown agent", async () => {
      const before = await snapshot();
      expectError(
        await call('POST', '/v1/budgets', admin, fresh({ agentId: otherAgentId })),
        400,
        'invalid_request',
        'body.agentId',
      );
      expect(await snapshot()).toEqual(before);
    });

    it.each([
      [{}, 'body'],
      [{ limit: 0 }, 'body.limit'],
      [{ thresholds: [120] }, 'body.thresholds[0]'],
      [{ onLimit: 'shrug' }, 'body.onLimit'],
      [{ unit: 'calls' }, 'body.unit'],
      [{ limit: 1.5, name: 'ok-name' }, undefined],
    ])('refuses the change %o naming %s, changing nothing', async (patch, field) => {
      const budget = await create(fresh({ unit: 'calls', limit: 4 }));
      const before = await snapshot();
      const res = await call('PATCH', `/v1/budgets/${budget.id}`, admin, patch);
      expectError(res, 400, 'invalid_request', field ?? 'body.limit');
      expect(await snapshot()).toEqual(before);
    });

    it('answers 404 for a budget or agent that does not exist, and 400 for a malformed id', async () => {
      expectError(await call('GET', `/v1/budgets/${UNKNOWN_BUDGET}`, admin), 404, 'not_found');
      expectError(
        await call('PATCH', `/v1/budgets/${UNKNOWN_BUDGET}`, admin, { limit: 1 }),
        404,
        'not_found',
      );
      expectError(await call('DELETE', `/v1/budgets/${UNKNOWN_BUDGET}`, admin), 404, 'not_found');
      expectError(await call('GET', `/v1/agents/${UNKNOWN_AGENT}/budgets`, admin), 404, 'not_found');
      expectError(await call('GET', '/v1/budgets/not-an-id', admin), 400, 'invalid_request', 'params.id');
      expectError(
        await call('GET', `/v1/budgets/${configBudget.id}?limit=0`, admin),
        400,
        'invalid_request',
        'querystring.limit',
      );
    });
  });

  describe('conflicts', () => {
    it('refuses a name already taken, on create and on rename', async () => {
      const taken = await create(fresh());
      const second = await create(fresh());
      const before = await snapshot();
      expectError(
        await call('POST', '/v1/budgets', admin, fresh({ name: taken.name })),
        409,
        'conflict',
        'body.name',
      );
      expectError(
        await call('POST', '/v1/budgets', admin, fresh({ name: 'sandbox-daily-usd' })),
        409,
        'conflict',
        'body.name',
      );
      expectError(
        await call('PATCH', `/v1/budgets/${second.id}`, admin, { name: taken.name }),
        409,
        'conflict',
        'body.name',
      );
      expect(await snapshot()).toEqual(before);
    });

    it('refuses to change or delete a budget managed by the budgets file', async () => {
      expect(configBudget).toMatchObject({ source: 'config', tier: 'monitored', limit: 500 });
      const before = await snapshot();
      const patched = expectError(
        await call('PATCH', `/v1/budgets/${configBudget.id}`, admin, { limit: 5 }),
        409,
        'conflict',
      );
      expect(patched.message).toContain('WARDEN_BUDGETS_FILE');
      expectError(await call('DELETE', `/v1/budgets/${configBudget.id}`, admin), 409, 'conflict');
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('security', () => {
    const routes = (id: string, agent: string): [Method, string, object?][] => [
      ['GET', '/v1/budgets'],
      ['POST', '/v1/budgets', { name: 'never', scope: 'tenant', period: 'day', unit: 'calls', limit: 1 }],
      ['GET', `/v1/budgets/${id}`],
      ['PATCH', `/v1/budgets/${id}`, { limit: 1 }],
      ['DELETE', `/v1/budgets/${id}`],
      ['GET', `/v1/agents/${agent}/budgets`],
    ];

    it('refuses every route without a credential (401) and with an agent key (403)', async () => {
      const target = await create(fresh());
      const before = await snapshot();
      for (const [method, url, body] of routes(target.id, agentId)) {
        expectError(await call(method, url, undefined, body), 401, 'unauthenticated');
        expectError(await call(method, url, 'wdn_not_a_real_token', body), 401, 'unauthenticated');
        expect((await call(method, url, agentKey, body)).statusCode).toBe(403);
      }
      expect(await snapshot()).toEqual(before);
    });

    it('lets viewers, approvers and auditors read but not write', async () => {
      const target = await create(fresh());
      const before = await snapshot();
      for (const token of Object.values(readers)) {
        for (const [method, url, body] of routes(target.id, agentId)) {
          const res = await call(method, url, token, body);
          if (method === 'GET') expect(res.statusCode, `${method} ${url}`).toBe(200);
          else expectError(res, 403, 'forbidden');
        }
      }
      expect(await snapshot()).toEqual(before);
    });

    it("hides one tenant's budgets and agents from another tenant (404)", async () => {
      const target = await create(fresh());
      const before = await snapshot();
      const theirs = (await call('GET', '/v1/budgets', other.adminToken)).json() as { budgets: BudgetJson[] };
      expect(theirs.budgets.map((b) => b.id)).not.toContain(target.id);
      expectError(await call('GET', `/v1/budgets/${target.id}`, other.adminToken), 404, 'not_found');
      expectError(
        await call('PATCH', `/v1/budgets/${target.id}`, other.adminToken, { limit: 1 }),
        404,
        'not_found',
      );
      expectError(await call('DELETE', `/v1/budgets/${target.id}`, other.adminToken), 404, 'not_found');
      expectError(await call('GET', `/v1/agents/${agentId}/budgets`, other.adminToken), 404, 'not_found');
      expectError(
        await call('POST', '/v1/budgets', other.adminToken, fresh({ agentId })),
        400,
        'invalid_request',
        'body.agentId',
      );
      expect(await snapshot()).toEqual(before);
      // And the other way round: their agent is not ours to read.
      expectError(await call('GET', `/v1/agents/${otherAgentId}/budgets`, admin), 404, 'not_found');
    });
  });

  describe('changes reach the decide path at once', () => {
    it('applies a created, changed and deleted budget from the next decision on', async () => {
      const seeded = await seedAgent(t.node);
      const search = () => decide(t.node, seeded.key, SEARCH).then((r) => r.json());
      expect((await search()).effect).toBe('allow');
      const budget = await create(fresh({ agentId: seeded.agent.id, unit: 'calls', limit: 2 }));
      expect(await search()).toMatchObject({ effect: 'allow', budget: { remaining: { calls: 1 } } });
      expect(await search()).toMatchObject({ effect: 'allow', budget: { remaining: { calls: 0 } } });
      expect((await search()).code).toBe('budget_exceeded');
      const raised = await call('PATCH', `/v1/budgets/${budget.id}`, admin, { limit: 3 });
      expect(raised.statusCode, raised.body).toBe(200);
      expect(await search()).toMatchObject({ effect: 'allow', budget: { remaining: { calls: 0 } } });
      expect((await search()).code).toBe('budget_exceeded');
      const soft = await call('PATCH', `/v1/budgets/${budget.id}`, admin, { onLimit: 'alert' });
      expect(soft.statusCode, soft.body).toBe(200);
      expect((await search()).effect).toBe('allow');
      await call('PATCH', `/v1/budgets/${budget.id}`, admin, { onLimit: 'deny' });
      expect((await search()).code).toBe('budget_exceeded');
      expect((await call('DELETE', `/v1/budgets/${budget.id}`, admin)).statusCode).toBe(200);
      const free = await search();
      expect(free.effect).toBe('allow');
      expect(free.budget.remaining.calls).toBeUndefined();
    });
  });
});
