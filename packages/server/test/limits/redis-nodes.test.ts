import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MemoryRateLimiter } from '../../src/limits/memory-rate-limiter.js';
import type { RateLimitKey } from '../../src/limits/rate-limiter.js';
import { RedisRateLimiter } from '../../src/limits/redis-rate-limiter.js';
import { deleteKeys, keysUnder, REDIS_URL, uniquePrefix } from './redis-fixtures.js';

const prefix = uniquePrefix();
const opened: { close(): Promise<void> }[] = [];

async function node(): Promise<RedisRateLimiter> {
  const limiter = new RedisRateLimiter({ url: REDIS_URL, timeoutMs: 2_000, keyPrefix: prefix });
  opened.push(limiter);
  expect(await limiter.ready(2_000)).toBe(true);
  return limiter;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((limiter) => limiter.close()));
});
afterAll(async () => {
  await deleteKeys(prefix);
});

describe('rate limits shared by several nodes (redis)', () => {
  it('admits exactly the limit when two nodes race 500 calls against a limit of 100', async () => {
    const [a, b] = [await node(), await node()];
    const agentKey: RateLimitKey = {
      key: '{ten_race}:rtl_race:agent:agt_1',
      ruleId: 'rtl_race',
      limit: 100,
      windowMs: 60_000,
    };
    const toolKey: RateLimitKey = {
      key: '{ten_race}:rtl_tool:tool:agt_1:crm.read',
      ruleId: 'rtl_tool',
      limit: 1_000,
      windowMs: 60_000,
    };
    const now = Date.now();
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) => (i % 2 === 0 ? a : b).hit([agentKey, toolKey], now + (i % 7))),
    );
    expect(results.filter((r) => r.ok).length).toBe(100);
    const refused = results.filter((r) => !r.ok);
    expect(refused.length).toBe(400);
    for (const r of refused) expect(r).toMatchObject({ ok: false, code: 'limited', ruleId: 'rtl_race' });
    // All or nothing: the refused calls were not charged to the tool key either.
    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.zcard(`${prefix}${agentKey.key}`)).toBe(100);
      expect(await redis.zcard(`${prefix}${toolKey.key}`)).toBe(100);
    } finally {
      await redis.quit();
    }
    // Both nodes see the shared count.
    expect(await a.hit([agentKey], now + 10)).toMatchObject({ ok: false, code: 'limited' });
    expect(await b.hit([agentKey], now + 10)).toMatchObject({ ok: false, code: 'limited' });
  });

  it('counts calls in the same millisecond from two nodes as separate calls', async () => {
    const [a, b] = [await node(), await node()];
    const k: RateLimitKey = {
      key: '{ten_ms}:rtl_ms:agent:agt_1',
      ruleId: 'rtl_ms',
      limit: 3,
      windowMs: 1_000,
    };
    const now = 1_700_000_000_000;
    expect((await a.hit([k], now)).ok).toBe(true);
    expect((await b.hit([k], now)).ok).toBe(true);
    expect((await a.hit([k], now)).ok).toBe(true);
    expect((await b.hit([k], now)).ok).toBe(false);
  });

  it('reloads its script after Redis forgot it (SCRIPT FLUSH)', async () => {
    const a = await node();
    const k: RateLimitKey = {
      key: '{ten_flush}:rtl_f:agent:agt_1',
      ruleId: 'rtl_f',
      limit: 2,
      windowMs: 1_000,
    };
    expect((await a.hit([k], 1_000)).ok).toBe(true);
    const redis = new Redis(REDIS_URL);
    try {
      await redis.script('FLUSH');
    } finally {
      await redis.quit();
    }
    expect((await a.hit([k], 1_001)).ok).toBe(true);
    expect(await a.hit([k], 1_002)).toMatchObject({ ok: false, code: 'limited', retryAfterMs: 998 });
  });

  it("names keys warden:rl:{<tenantId>}:... by default, so a cluster hashes a tenant's keys to one slot", async () => {
    // Redis Cluster hashes only the part between the first "{" and the next "}" when it is not empty.
    const hashed = (key: string) => {
      const open = key.indexOf('{');
      const close = open < 0 ? -1 : key.indexOf('}', open + 1);
      return close > open + 1 ? key.slice(open + 1, close) : key;
    };
    const limiter = new RedisRateLimiter({ url: REDIS_URL, timeoutMs: 2_000 });
    opened.push(limiter);
    expect(await limiter.ready(2_000)).toBe(true);
    const tenant = `ten_${prefix.slice(-13, -1)}`;
    const keys: RateLimitKey[] = ['rtl_1:agent:agt_1', 'rtl_2:task:tsk_9', 'rtl_3:tool:agt_1:crm.read'].map(
      (rest) => ({
        key: `{${tenant}}:${rest}`,
        ruleId: rest.split(':')[0] ?? '',
        limit: 5,
        windowMs: 1_000,
      }),
    );
    expect((await limiter.hit(keys, Date.now())).ok).toBe(true);
    const stored = await keysUnder(`warden:rl:{${tenant}}:`);
    try {
      expect(stored).toHaveLength(3);
      for (const key of stored) expect(hashed(key)).toBe(tenant);
    } finally {
      await deleteKeys(`warden:rl:{${tenant}}:`);
    }
  });
});

describe('redis storage of the sliding log', () => {
  it('keeps each key in a sorted set that expires with its window', async () => {
    const a = await node();
    const k: RateLimitKey = {
      key: '{ten_ttl}:rtl_t:agent:agt_1',
      ruleId: 'rtl_t',
      limit: 2,
      windowMs: 5_000,
    };
    expect((await a.hit([k], Date.now())).ok).toBe(true);
    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.type(`${prefix}${k.key}`)).toBe('zset');
      const ttl = await redis.pttl(`${prefix}${k.key}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(5_000);
    } finally {
      await redis.quit();
    }
  });
});

describe('rate limits on one node (memory)', () => {
  it('admits exactly the limit of 500 concurrent calls', async () => {
    const limiter = new MemoryRateLimiter();
    const k: RateLimitKey = {
      key: '{ten_m}:rtl_m:agent:agt_1',
      ruleId: 'rtl_m',
      limit: 100,
      windowMs: 60_000,
    };
    const now = Date.now();
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => limiter.hit([k], now + (i % 5))));
    expect(results.filter((r) => r.ok).length).toBe(100);
  });
});
