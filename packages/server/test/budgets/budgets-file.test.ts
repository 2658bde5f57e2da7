import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WardenNode } from '../../src/main.js';
import { auditEventsOf, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import {
  createTestDatabase,
  DATABASES,
  startTestNode,
  type TestDatabaseHandle,
  type TestNode,
} from '../helpers/test-node.js';
import { decide } from './budget-fixtures.js';

const FIRST = `
timeZone: Europe/Berlin
budgets:
  - name: agent-daily
    scope: agent
    tier: monitored
    period: day
    unit: usd
    limit: 50
    thresholds: [80]
  - name: tenant-monthly-calls
    scope: tenant
    period: month
    unit: calls
    limit: 100000
    onLimit: alert
  - name: support-role-tokens
    scope: role
    role: support-assistant
    period: week
    unit: tokens
    limit: 500000
rateLimits:
  - name: sandbox-burst
    scope: agent
    tier: sandbox
    maxCalls: 5
    windowSeconds: 60
`;

/** The first file, with agent-daily raised, the role budget gone and a records budget new. */
const SECOND = `
timeZone: Europe/Berlin
budgets:
  - name: agent-daily
    scope: agent
    tier: monitored
    period: day
    unit: usd
    limit: 75
    thresholds: [80]
  - name: tenant-monthly-calls
    scope: tenant
    period: month
    unit: calls
    limit: 100000
    onLimit: alert
  - name: records-daily
    scope: agent
    period: day
    unit: records
    limit: 1000
rateLimits:
  - name: sandbox-burst
    scope: agent
    tier: sandbox
    maxCalls: 10
    windowSeconds: 60
`;

interface BudgetJson {
  id: string;
  name: string;
  limit: number;
  source: string;
  scope: string;
}

async function budgetsOf(node: WardenNode, token: string): Promise<BudgetJson[]> {
  const res = await request(node, 'GET', '/v1/budgets', token);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { budgets: BudgetJson[] }).budgets;
}

describe.each(DATABASES)('the budgets file, WARDEN_BUDGETS_FILE (%s)', (db) => {
  let dir: string;
  let database: TestDatabaseHandle;
  let admin = '';
  let serial = 0;

  /** Writes `yaml` to a file of its own and starts a node on the shared database with it. */
  async function start(yaml: string | null): Promise<TestNode> {
    const settings: Record<string, unknown> = {};
    if (yaml !== null) {
      const path = join(dir, `budgets-${++serial}.yaml`);
      await writeFile(path, yaml);
      settings.budgetsFile = path;
    }
    const t = await startTestNode(db, { shared: database, settings });
    if (t.adminToken) admin = t.adminToken;
    return t;
  }

  async function startFails(yaml: string): Promise<string> {
    const error = await start(yaml).then(
      async (t) => {
        await t.close();
        return new Error('the node started');
      },
      (e: unknown) => e as Error,
    );
    expect(error.message).toContain('WARDEN_BUDGETS_FILE');
    return error.message;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-budgets-file-'));
    database = await createTestDatabase(db);
  });
  afterAll(async () => {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('applies the time zone, budgets and rate limits at start, replacing the tier defaults', async () => {
    const t = await start(FIRST);
    try {
      const budgets = await budgetsOf(t.node, admin);
      expect(budgets.map((b) => [b.name, b.scope, b.limit, b.source])).toEqual([
        ['agent-daily', 'agent', 50, 'config'],
        ['support-role-tokens', 'role', 500000, 'config'],
        ['tenant-monthly-calls', 'tenant', 100000, 'config'],
      ]);
      const tenant = await t.node.storage.db
        .selectFrom('tenants')
        .select('time_zone')
        .where('id', '=', t.node.bootstrap.tenant.id)
        .executeTakeFirstOrThrow();
      expect(tenant.time_zone).toBe('Europe/Berlin');
      const limits = await request(t.node, 'GET', '/v1/rate-limits', admin);
      expect(limits.statusCode, limits.body).toBe(200);
      expect(
        (limits.json() as { rateLimits: { name: string; maxCalls: number; source: string }[] }).rateLimits,
      ).toMatchObject([{ name: 'sandbox-burst', maxCalls: 5, source: 'config' }]);
      const daily = budgets.find((b) => b.name === 'agent-daily') as BudgetJson;
      const events = await auditEventsOf(t.node, daily.id);
      expect(events.map((e) => [e.type, e.actor.type, e.actor.id])).toEqual([
        ['budget.create', 'system', 'budgets-file'],
      ]);
      expect(
        (await auditEventsOf(t.node, t.node.bootstrap.tenant.id))
          .filter((e) => e.type === 'tenant.update')
          .map((e) => e.payload),
      ).toEqual([{ timeZone: { from: 'UTC', to: 'Europe/Berlin' } }]);
      // The file's budgets govern the decide path, with days starting at midnight in Berlin.
      const { agent, key } = await seedAgent(t.node, { tier: 'monitored' });
      const refused = (
        await decide(t.node, key, { tool: 'kb.articles.search', estimate: { usd: 60 } })
      ).json();
      expect(refused).toMatchObject({ effect: 'deny', code: 'budget_exceeded' });
      expect(refused.reason).toContain('agent-daily');
      const held = (await decide(t.node, key, { tool: 'kb.articles.search', estimate: { usd: 30 } })).json();
      expect(held).toMatchObject({ effect: 'allow', budget: { remaining: { usd: 20 } } });
      const governing = (await request(t.node, 'GET', `/v1/agents/${agent.id}/budgets`, admin)).json()
        .budgets as { budget: BudgetJson; windowEnd: string }[];
      const day = governing.find((c) => c.budget.name === 'agent-daily');
      expect(day?.windowEnd).toMatch(/T2[23]:00:00\.000Z$/);
    } finally {
      await t.close();
    }
  });

  it('updates changed budgets in place on restart, removes missing ones, adds new ones and audits each', async () => {
    const t = await start(SECOND);
    try {
      const budgets = await budgetsOf(t.node, admin);
      expect(budgets.map((b) => [b.name, b.limit])).toEqual([
        ['agent-daily', 75],
        ['records-daily', 1000],
        ['tenant-monthly-calls', 100000],
      ]);
      const byName = new Map(budgets.map((b) => [b.name, b.id]));
      const daily = byName.get('agent-daily') as string;
      // Same id as before the restart, so its counter (the $30 held) carried over.
      // (The refused $60 call also announced the limit; only definition changes are asserted here.)
      const changes = (await auditEventsOf(t.node, daily)).filter((e) => e.type !== 'budget.exhausted');
      expect(changes.map((e) => [e.type, e.actor.id, e.payload?.limit])).toEqual([
        ['budget.create', 'budgets-file', '$50.00'],
        ['budget.update', 'budgets-file', '$75.00'],
      ]);
      const shown = (await request(t.node, 'GET', `/v1/budgets/${daily}`, admin)).json();
      expect(shown.counters).toMatchObject([{ used: 30, remaining: 45 }]);
      const gone = await t.node.storage.db
        .selectFrom('audit_events')
        .select(['subject_id', 'type'])
        .where('type', '=', 'budget.delete')
        .execute();
      expect(gone).toHaveLength(1);
      const removed = await auditEventsOf(t.node, gone[0]?.subject_id as string);
      expect(removed.map((e) => [e.type, e.payload?.name])).toEqual([
        ['budget.create', 'support-role-tokens'],
        ['budget.delete', 'support-role-tokens'],
      ]);
      // Unchanged entries are left alone: no update event.
      const monthly = byName.get('tenant-monthly-calls') as string;
      expect((await auditEventsOf(t.node, monthly)).map((e) => e.type)).toEqual(['budget.create']);
      const limits = (await request(t.node, 'GET', '/v1/rate-limits', admin)).json() as {
        rateLimits: { name: string; maxCalls: number }[];
      };
      expect(limits.rateLimits).toMatchObject([{ name: 'sandbox-burst', maxCalls: 10 }]);
      // The time zone was already Berlin: nothing to change, nothing audited.
      expect(
        (await auditEventsOf(t.node, t.node.bootstrap.tenant.id)).filter((e) => e.type === 'tenant.update'),
      ).toHaveLength(1);
    } finally {
      await t.close();
    }
  });

  it('refuses to start on a file with a mistake, naming the entry, and changes nothing', async () => {
    const before = await start(SECOND);
    const rows = async (node: WardenNode) =>
      node.storage.db.selectFrom('budgets').selectAll().orderBy('name').execute();
    const events = async (node: WardenNode) =>
      (
        await node.storage.db
          .selectFrom('audit_events')
          .select('id')
          .where('type', 'like', 'budget.%')
          .execute()
      ).length;
    const [rowsBefore, eventsBefore] = [await rows(before.node), await events(before.node)];
    await before.close();

    const negative = SECOND.replace('limit: 1000\n', 'limit: -5\n');
    expect(await startFails(negative)).toContain('budgets[2].limit');
    const taskPeriod = SECOND.replace('period: month', 'period: task');
    expect(await startFails(taskPeriod)).toContain('budgets[1].period');
    expect(await startFails(SECOND.replace('unit: records', 'unit: euros'))).toContain('budgets[2].unit');
    const twice = SECOND.replace(
      'rateLimits:',
      '  - name: agent-daily\n    scope: tenant\n    period: day\n    unit: calls\n    limit: 1\nrateLimits:',
    );
    expect(await startFails(twice)).toContain('budgets[3].name: agent-daily appears twice');
    expect(await startFails(SECOND.replace('maxCalls: 10', 'maxCalls: 0'))).toContain(
      'rateLimits[0].maxCalls',
    );
    expect(await startFails(SECOND.replace('timeZone: Europe/Berlin', 'timeZone: Mars/Olympus'))).toContain(
      'timeZone',
    );
    expect(await startFails(`${SECOND}\nbudget: []\n`)).toContain('budget: unknown key');
    expect(await startFails('budgets: [\n')).toContain('cannot be read');

    const after = await start(SECOND);
    try {
      expect(await rows(after.node)).toEqual(rowsBefore);
      expect(await events(after.node)).toBe(eventsBefore);
    } finally {
      await after.close();
    }
  });

  it('removes the tier defaults with `budgets: []`, and brings them back without a file', async () => {
    const fresh = await createTestDatabase(db);
    try {
      const withDefaults = await startTestNode(db, { shared: fresh });
      const token = withDefaults.adminToken;
      try {
        expect((await budgetsOf(withDefaults.node, token)).map((b) => b.name)).toEqual([
          'monitored-daily-usd',
          'sandbox-daily-usd',
          'trusted-daily-usd',
        ]);
      } finally {
        await withDefaults.close();
      }
      const path = join(dir, 'empty.yaml');
      await writeFile(path, 'budgets: []\n');
      const empty = await startTestNode(db, { shared: fresh, settings: { budgetsFile: path } });
      try {
        expect(await budgetsOf(empty.node, token)).toEqual([]);
        const deleted = await empty.node.storage.db
          .selectFrom('audit_events')
          .select('actor_id')
          .where('type', '=', 'budget.delete')
          .execute();
        expect(deleted).toEqual([
          { actor_id: 'budgets-file' },
          { actor_id: 'budgets-file' },
          { actor_id: 'budgets-file' },
        ]);
        const { agent, key } = await seedAgent(empty.node, { tier: 'sandbox', environments: ['staging'] });
        const governing = (await request(empty.node, 'GET', `/v1/agents/${agent.id}/budgets`, token)).json();
        expect(governing.budgets).toEqual([]);
        const free = (
          await decide(empty.node, key, { tool: 'kb.articles.search', estimate: { usd: 1000 } })
        ).json();
        expect(free.effect).toBe('allow');
        expect(free.budget).toBeUndefined();
      } finally {
        await empty.close();
      }
      const back = await startTestNode(db, { shared: fresh });
      try {
        expect((await budgetsOf(back.node, token)).map((b) => b.name)).toEqual([
          'monitored-daily-usd',
          'sandbox-daily-usd',
          'trusted-daily-usd',
        ]);
      } finally {
        await back.close();
      }
    } finally {
      await fresh.drop();
    }
  });
});
