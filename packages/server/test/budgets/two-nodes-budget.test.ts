import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { openStorage } from '../../src/storage/database.js';
import { createAgentOn, type NodeProcess, startProcess, stopProcess } from '../helpers/node-process.js';
import { createTestDatabase, EXAMPLE_POLICIES, type TestDatabaseHandle } from '../helpers/test-node.js';

interface Body {
  readonly id?: string;
  readonly effect?: string;
  readonly code?: string;
  readonly decisionId?: string;
}

async function http(url: string, token: string, method: string, path: string, body?: object) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Body };
}

/**
 * Two `warden up` processes on one PostgreSQL database admit reservations against one $10 budget
 * at the same time: never more than $10 to the cent, and no request refused while it still fitted.
 */
describe('budget reservations across two server processes (postgres)', () => {
  let database: TestDatabaseHandle;
  let keyDir: string;
  let a: NodeProcess;
  let b: NodeProcess;
  let admin: string;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    keyDir = mkdtempSync(join(tmpdir(), 'warden-keys-'));
    a = await startProcess({ databaseUrl: database.url, policyDir: EXAMPLE_POLICIES, keyDir });
    b = await startProcess({ databaseUrl: database.url, policyDir: EXAMPLE_POLICIES, keyDir });
    admin = readFileSync(join(a.dataDir, 'admin-token'), 'utf8').trim();
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a && stopProcess(a), b && stopProcess(b)]);
    rmSync(keyDir, { recursive: true, force: true });
    await database?.drop();
  });

  /** 200 reservations, alternating between the nodes, all at once; answers [cents asked, admitted]. */
  async function race(agentKey: string, cents: (i: number) => number): Promise<[number, boolean][]> {
    return Promise.all(
      Array.from({ length: 200 }, async (_, i): Promise<[number, boolean]> => {
        const answer = await http(i % 2 === 0 ? a.url : b.url, agentKey, 'POST', '/v1/decide', {
          tool: 'kb.articles.search',
          args: { query: `q${i}` },
          estimate: { usd: cents(i) / 100 },
        });
        expect(answer.status).toBe(200);
        if (answer.body.effect === 'deny') expect(answer.body.code).toBe('budget_exceeded');
        return [cents(i), answer.body.effect === 'allow'];
      }),
    );
  }

  async function budgetFor(agentId: string, name: string) {
    const created = await http(a.url, admin, 'POST', '/v1/budgets', {
      name,
      scope: 'agent',
      agentId,
      period: 'day',
      unit: 'usd',
      limit: 10,
    });
    expect(created.status).toBe(201);
    return created.body.id ?? '';
  }

  async function countersAndAlerts(budgetId: string) {
    const storage = openStorage(loadConfig({ overrides: { databaseUrl: database.url, dataDir: keyDir } }));
    try {
      const counter = await storage.db
        .selectFrom('budget_counters')
        .selectAll()
        .where('budget_id', '=', budgetId)
        .executeTakeFirstOrThrow();
      const events = await storage.db
        .selectFrom('audit_events')
        .select('type')
        .where('subject_id', '=', budgetId)
        .execute();
      const held = await storage.db
        .selectFrom('budget_reservations')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'held')
        .executeTakeFirstOrThrow();
      return { counter, types: events.map((e) => e.type), held: Number(held.n) };
    } finally {
      await storage.close();
    }
  }

  it('admits exactly what fits: 200 × $0.07 against $10 admits 142 ($9.94) and refuses 58', async () => {
    const agent = await createAgentOn(a.url, admin, 'budget-race-uniform');
    const budgetId = await budgetFor(agent.id, 'race-uniform');
    const results = await race(agent.key, () => 7);
    const admitted = results.filter(([, ok]) => ok);
    expect(admitted.length).toBe(142);
    const { counter, types } = await countersAndAlerts(budgetId);
    expect(Number(counter.reserved) + Number(counter.spent)).toBe(9_940_000);
    // Each threshold and the limit announced exactly once, however the calls interleaved.
    expect(types.filter((t) => t === 'budget.alert')).toHaveLength(3);
    expect(types.filter((t) => t === 'budget.exhausted')).toHaveLength(1);
  }, 60_000);

  it('never passes $10 to the cent with mixed estimates, and refuses only what no longer fitted', async () => {
    const agent = await createAgentOn(a.url, admin, 'budget-race-mixed');
    const budgetId = await budgetFor(agent.id, 'race-mixed');
    // 1 to 13 cents: about $14 asked against $10.
    const results = await race(agent.key, (i) => 1 + ((i * 7) % 13));
    const admittedCents = results.filter(([, ok]) => ok).reduce((sum, [c]) => sum + c, 0);
    expect(admittedCents).toBeLessThanOrEqual(1000);
    const room = 1000 - admittedCents;
    // Counters only grew during the race, so a refused request did not fit the final room either.
    for (const [cents, ok] of results) if (!ok) expect(cents).toBeGreaterThan(room);
    const { counter, held } = await countersAndAlerts(budgetId);
    expect(Number(counter.reserved) + Number(counter.spent)).toBe(admittedCents * 10_000);
    expect(held).toBeGreaterThanOrEqual(results.filter(([, ok]) => ok).length);
  }, 60_000);
});
