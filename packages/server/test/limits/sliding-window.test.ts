import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRateLimiter } from '../../src/limits/memory-rate-limiter.js';
import type { RateLimiter, RateLimitKey } from '../../src/limits/rate-limiter.js';
import { RedisRateLimiter } from '../../src/limits/redis-rate-limiter.js';
import { deleteKeys, REDIS_URL, uniquePrefix } from './redis-fixtures.js';

const ADAPTERS = ['memory', 'redis'] as const;

let serial = 0;
/** A key no other test uses. */
function key(limit: number, windowMs: number, ruleId = `rtl_${++serial}`): RateLimitKey {
  return { key: `{ten_test}:${ruleId}:agent:${serial}`, ruleId, limit, windowMs };
}

/** The specification: a call at t is admitted iff fewer than `limit` admitted calls lie in (t - w, t]. */
function model(times: readonly number[], limit: number, windowMs: number): boolean[] {
  const admitted: number[] = [];
  return times.map((t) => {
    const inWindow = admitted.filter((a) => a > t - windowMs && a <= t).length;
    if (inWindow >= limit) return false;
    admitted.push(t);
    return true;
  });
}

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function random(seed: number): () => number {
  // mulberry32
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe.each(ADAPTERS)('sliding window (%s)', (adapter) => {
  const prefix = uniquePrefix();
  let limiter: RateLimiter;

  beforeAll(async () => {
    if (adapter === 'memory') {
      limiter = new MemoryRateLimiter();
    } else {
      const redis = new RedisRateLimiter({ url: REDIS_URL, timeoutMs: 1_000, keyPrefix: prefix });
      expect(await redis.ready(2_000)).toBe(true);
      limiter = redis;
    }
  });
  afterAll(async () => {
    await limiter.close();
    if (adapter === 'redis') await deleteKeys(prefix);
  });

  it('admits up to the limit, then refuses with the time until the oldest call leaves the window', async () => {
    const k = key(3, 1_000);
    const t0 = 1_700_000_000_000;
    expect(await limiter.hit([k], t0)).toEqual({ ok: true });
    expect(await limiter.hit([k], t0 + 100)).toEqual({ ok: true });
    expect(await limiter.hit([k], t0 + 200)).toEqual({ ok: true });
    expect(await limiter.hit([k], t0 + 300)).toEqual({
      ok: false,
      code: 'limited',
      message: expect.stringContaining('allows'),
      ruleId: k.ruleId,
      limit: 3,
      windowMs: 1_000,
      retryAfterMs: 700,
    });
    // One millisecond before the first call leaves, still full; refusals are not counted.
    expect(await limiter.hit([k], t0 + 999)).toMatchObject({ ok: false, retryAfterMs: 1 });
    // A window ending at t holds (t - 1000, t]: the call at t0 is out at exactly t0 + 1000.
    expect(await limiter.hit([k], t0 + 1_000)).toEqual({ ok: true });
    expect(await limiter.hit([k], t0 + 1_001)).toMatchObject({ ok: false, retryAfterMs: 99 });
    expect(await limiter.hit([k], t0 + 1_100)).toEqual({ ok: true });
    expect(await limiter.hit([k], t0 + 1_150)).toMatchObject({ ok: false, retryAfterMs: 50 });
  });

  it('never admits more than the limit in any window ending at a call, and refuses nothing the limit allows', async () => {
    const next = random(adapter === 'memory' ? 7 : 11);
    for (const [limit, windowMs] of [
      [1, 50],
      [5, 1_000],
      [8, 300],
    ] as const) {
      const k = key(limit, windowMs);
      const times: number[] = [];
      let t = 1_000_000;
      for (let i = 0; i < 600; i++) {
        // Bursts of calls in the same millisecond, gaps around the window length, exact edges.
        const roll = next();
        t +=
          roll < 0.4
            ? 0
            : roll < 0.8
              ? Math.floor(next() * 10)
              : roll < 0.9
                ? windowMs
                : Math.floor(next() * windowMs);
        times.push(t);
      }
      const results: boolean[] = [];
      for (const time of times) results.push((await limiter.hit([k], time)).ok);
      expect(results).toEqual(model(times, limit, windowMs));
      const admitted = times.filter((_, i) => results[i]);
      for (const end of admitted) {
        expect(admitted.filter((a) => a > end - windowMs && a <= end).length).toBeLessThanOrEqual(limit);
      }
      expect(results.filter((ok) => !ok).length).toBeGreaterThan(0);
    }
  });

  it('counts all keys or none: a call refused by one key is not charged to the others', async () => {
    const narrow = key(2, 10_000);
    const wide = key(5, 10_000);
    const t0 = 5_000_000;
    expect((await limiter.hit([narrow], t0)).ok).toBe(true);
    expect((await limiter.hit([narrow], t0 + 1)).ok).toBe(true);
    for (let i = 0; i < 10; i++) {
      expect(await limiter.hit([wide, narrow], t0 + 10 + i)).toMatchObject({
        ok: false,
        ruleId: narrow.ruleId,
      });
    }
    // None of the ten refused calls reached `wide`: all five of its calls are still free.
    for (let i = 0; i < 5; i++) expect((await limiter.hit([wide], t0 + 100 + i)).ok).toBe(true);
    expect(await limiter.hit([wide], t0 + 200)).toMatchObject({ ok: false, ruleId: wide.ruleId });
  });

  it('counts an admitted call against every key', async () => {
    const a = key(2, 1_000);
    const b = key(3, 1_000);
    const t0 = 6_000_000;
    expect((await limiter.hit([a, b], t0)).ok).toBe(true);
    expect((await limiter.hit([a, b], t0 + 1)).ok).toBe(true);
    expect((await limiter.hit([b], t0 + 2)).ok).toBe(true);
    expect(await limiter.hit([b], t0 + 3)).toMatchObject({ ok: false, ruleId: b.ruleId, retryAfterMs: 997 });
    expect(await limiter.hit([a], t0 + 3)).toMatchObject({ ok: false, ruleId: a.ruleId, retryAfterMs: 997 });
  });

  it('reports the key that frees up last when several are full', async () => {
    const short = key(1, 1_000);
    const long = key(1, 60_000);
    const t0 = 7_000_000;
    expect((await limiter.hit([short, long], t0)).ok).toBe(true);
    expect(await limiter.hit([short, long], t0 + 500)).toEqual({
      ok: false,
      code: 'limited',
      message: expect.stringContaining('allows'),
      ruleId: long.ruleId,
      limit: 1,
      windowMs: 60_000,
      retryAfterMs: 59_500,
    });
  });

  it('waits for enough calls to leave when a limit was lowered below the calls in the window', async () => {
    const ruleId = `rtl_lowered_${serial}`;
    const wide = key(5, 1_000, ruleId);
    const t0 = 8_000_000;
    for (let i = 0; i < 5; i++) expect((await limiter.hit([wide], t0 + i * 100)).ok).toBe(true);
    const lowered = { ...wide, limit: 2 };
    // Five calls at +0..+400 and a limit of 2: a call fits once one is left, so +300 must leave first.
    expect(await limiter.hit([lowered], t0 + 450)).toMatchObject({ ok: false, retryAfterMs: 850 });
    expect((await limiter.hit([lowered], t0 + 1_299)).ok).toBe(false);
    expect((await limiter.hit([lowered], t0 + 1_300)).ok).toBe(true);
  });

  it('admits a call with no keys and counts a key given twice once', async () => {
    expect(await limiter.hit([], 1)).toEqual({ ok: true });
    const k = key(2, 1_000);
    expect((await limiter.hit([k, k], 9_000_000)).ok).toBe(true);
    expect((await limiter.hit([k], 9_000_001)).ok).toBe(true);
    expect((await limiter.hit([k], 9_000_002)).ok).toBe(false);
  });
});

describe('memory rate limiter bounds', () => {
  it('drops keys whose window has passed', async () => {
    const limiter = new MemoryRateLimiter({ sweepIntervalMs: 1_000 });
    const t0 = 10_000_000;
    for (let i = 0; i < 1_000; i++) await limiter.hit([key(10, 500)], t0);
    const kept = key(10, 60_000);
    await limiter.hit([kept], t0);
    expect(limiter.size).toBe(1_001);
    // The next hit after the sweep interval sweeps: only the long-window key is still live.
    await limiter.hit([], t0 + 1_000);
    expect(limiter.size).toBe(1);
    expect((await limiter.hit([{ ...kept, limit: 1 }], t0 + 1_001)).ok).toBe(false);
  });

  it('orders calls given slightly out of order', async () => {
    const limiter = new MemoryRateLimiter();
    const k = key(2, 100);
    expect((await limiter.hit([k], 1_050)).ok).toBe(true);
    expect((await limiter.hit([k], 1_000)).ok).toBe(true);
    // The older call (1000) leaves first: at 1100 one slot is free, at 1101 it is full until 1150.
    expect((await limiter.hit([k], 1_100)).ok).toBe(true);
    expect(await limiter.hit([k], 1_101)).toMatchObject({ ok: false, retryAfterMs: 49 });
  });
});
