import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WardenNode } from '../../src/main.js';
import { request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import {
  createTestDatabase,
  DATABASES,
  startTestNode,
  type TestDatabaseHandle,
  type TestNode,
} from '../helpers/test-node.js';
import { deleteKeys, keysUnder, REDIS_URL } from '../limits/redis-fixtures.js';
import { decide, ManualClock } from './budget-fixtures.js';

const SEARCH = { tool: 'kb.articles.search', args: {} };
/** Nothing listens on port 1 (binding it needs root), so connecting is refused at once. */
const DEAD_REDIS = 'redis://127.0.0.1:1';

async function createRateLimit(node: WardenNode, token: string, body: object): Promise<string> {
  const res = await request(node, 'POST', '/v1/rate-limits', token, { windowSeconds: 60, ...body });
  expect(res.statusCode, res.body).toBe(201);
  return (res.json() as { rateLimit: { id: string } }).rateLimit.id;
}

async function answer(node: WardenNode, key: string, payload: object) {
  const res = await decide(node, key, payload);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** The key prefix of a tenant's counters under the default prefix, to clean up after a test. */
function tenantKeys(tenantId: string): string {
  return `warden:rl:{${tenantId}}:`;
}

describe.each(DATABASES)('rate limits on the decide path, one node (%s)', (db) => {
  let t: TestNode;
  const clock = new ManualClock(Date.parse('2026-05-12T10:00:00Z'));

  beforeAll(async () => {
    t = await startTestNode(db, { clock: clock.now });
  });
  afterAll(() => t.close());

  it("denies an agent's calls past its limit with rate_limited and when to retry", async () => {
    const { agent, key } = await seedAgent(t.node);
    const other = await seedAgent(t.node);
    const ruleId = await createRateLimit(t.node, t.adminToken, {
      name: `agent-${agent.id.slice(-8).toLowerCase()}`,
      scope: 'agent',
      agentId: agent.id,
      maxCalls: 3,
    });
    for (let i = 0; i < 3; i++) {
      clock.advance(1_000);
      expect((await answer(t.node, key, SEARCH)).effect).toBe('allow');
    }
    clock.advance(1_000);
    const limited = await answer(t.node, key, SEARCH);
    expect(limited).toMatchObject({ effect: 'deny', code: 'rate_limited', retryAfterSeconds: 57 });
    expect(limited.reason).toContain(ruleId);
    expect(limited.reason).toContain('3 calls per 60 s');
    // The refusal is a recorded decision like any other.
    const row = await t.node.storage.db
      .selectFrom('decisions')
      .select(['effect', 'code'])
      .where('id', '=', limited.decisionId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ effect: 'deny', code: 'rate_limited' });
    // Another agent has its own count (the rule names one agent).
    expect((await answer(t.node, other.key, SEARCH)).effect).toBe('allow');
    // Once the first call leaves the window, one more fits.
    clock.advance(57_000);
    expect((await answer(t.node, key, SEARCH)).effect).toBe('allow');
    expect((await answer(t.node, key, SEARCH)).code).toBe('rate_limited');
  });

  it('counts a task limit per task, and calls outside a task not at all', async () => {
    const { agent, key } = await seedAgent(t.node);
    await createRateLimit(t.node, t.adminToken, {
      name: `task-${agent.id.slice(-8).toLowerCase()}`,
      scope: 'task',
      agentId: agent.id,
      maxCalls: 2,
    });
    const inTask = (taskId: string) => ({ ...SEARCH, context: { taskId } });
    const [one, two] = [`RL-${agent.id}-1`, `RL-${agent.id}-2`];
    expect((await answer(t.node, key, inTask(one))).effect).toBe('allow');
    expect((await answer(t.node, key, inTask(one))).effect).toBe('allow');
    expect(await answer(t.node, key, inTask(one))).toMatchObject({ effect: 'deny', code: 'rate_limited' });
    expect((await answer(t.node, key, inTask(two))).effect).toBe('allow');
    for (let i = 0; i < 3; i++) expect((await answer(t.node, key, SEARCH)).effect).toBe('allow');
    expect((await answer(t.node, key, inTask(two))).effect).toBe('allow');
    expect((await answer(t.node, key, inTask(two))).code).toBe('rate_limited');
  });

  it('counts a tool limit per tool matching its glob, and leaves other tools alone', async () => {
    const { agent, key } = await seedAgent(t.node);
    await createRateLimit(t.node, t.adminToken, {
      name: `tool-${agent.id.slice(-8).toLowerCase()}`,
      scope: 'tool',
      agentId: agent.id,
      tool: 'kb.*',
      maxCalls: 2,
    });
    const read = { tool: 'kb.articles.read', args: {} };
    const email = { tool: 'email.send', args: { to: 'c@example.test' } };
    expect((await answer(t.node, key, SEARCH)).effect).toBe('allow');
    expect((await answer(t.node, key, SEARCH)).effect).toBe('allow');
    expect((await answer(t.node, key, SEARCH)).code).toBe('rate_limited');
    // Each matching tool has its own count.
    expect((await answer(t.node, key, read)).effect).toBe('allow');
    expect((await answer(t.node, key, read)).effect).toBe('allow');
    expect((await answer(t.node, key, read)).code).toBe('rate_limited');
    for (let i = 0; i < 4; i++) expect((await answer(t.node, key, email)).effect).toBe('allow');
  });
});

describe('rate limits shared by two nodes through Redis (postgres)', () => {
  let database: TestDatabaseHandle;
  let a: TestNode;
  let b: TestNode;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    a = await startTestNode('postgres', { shared: database, settings: { redisUrl: REDIS_URL } });
    b = await startTestNode('postgres', { shared: database, settings: { redisUrl: REDIS_URL } });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    if (a) await deleteKeys(tenantKeys(a.node.bootstrap.tenant.id));
    await database?.drop();
  });

  it('admits ten calls on A and refuses the eleventh on B', async () => {
    const { agent, key } = await seedAgent(a.node);
    const ruleId = await createRateLimit(a.node, a.adminToken, {
      name: 'shared-agent-limit',
      scope: 'agent',
      agentId: agent.id,
      maxCalls: 10,
    });
    for (let i = 0; i < 10; i++) expect((await answer(a.node, key, SEARCH)).effect).toBe('allow');
    const eleventh = await answer(b.node, key, SEARCH);
    expect(eleventh).toMatchObject({ effect: 'deny', code: 'rate_limited' });
    expect(eleventh.retryAfterSeconds).toBeGreaterThan(0);
    expect(eleventh.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect((await answer(a.node, key, SEARCH)).code).toBe('rate_limited');
    const keys = await keysUnder(tenantKeys(a.node.bootstrap.tenant.id));
    expect(keys).toEqual([`${tenantKeys(a.node.bootstrap.tenant.id)}${ruleId}:agent:${agent.id}`]);
  });
});

describe.each(DATABASES)('rate limits when Redis cannot be reached (%s)', (db) => {
  let closed: TestNode;
  let open: TestNode;

  beforeAll(async () => {
    [closed, open] = await Promise.all([
      startTestNode(db, { settings: { redisUrl: DEAD_REDIS } }),
      startTestNode(db, { settings: { redisUrl: DEAD_REDIS, rateLimitFailMode: 'open' } }),
    ]);
  }, 30_000);
  afterAll(async () => {
    await closed?.close();
    await open?.close();
  });

  it('denies a call a rule applies to with limits_unavailable within a second (fail closed)', async () => {
    const { agent, key } = await seedAgent(closed.node);
    const bystander = await seedAgent(closed.node);
    await createRateLimit(closed.node, closed.adminToken, {
      name: 'closed-limit',
      scope: 'agent',
      agentId: agent.id,
      maxCalls: 100,
    });
    const started = Date.now();
    const denied = await answer(closed.node, key, SEARCH);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(denied).toMatchObject({ effect: 'deny', code: 'limits_unavailable' });
    expect(denied.reason).toContain('fail mode closed');
    expect(denied.retryAfterSeconds).toBeUndefined();
    // A call no rule applies to needs no Redis.
    expect((await answer(closed.node, bystander.key, SEARCH)).effect).toBe('allow');
  });

  it('admits the call unchecked when the operator chose fail open', async () => {
    const { agent, key } = await seedAgent(open.node);
    await createRateLimit(open.node, open.adminToken, {
      name: 'open-limit',
      scope: 'agent',
      agentId: agent.id,
      maxCalls: 1,
    });
    const started = Date.now();
    expect((await answer(open.node, key, SEARCH)).effect).toBe('allow');
    expect(Date.now() - started).toBeLessThan(1_000);
    // Nothing counts while Redis is away: the limit of one does not bite.
    expect((await answer(open.node, key, SEARCH)).effect).toBe('allow');
  });
});
