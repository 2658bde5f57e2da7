import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createRateLimiter, type LimitLog, RateLimitGate } from '../../src/limits/rate-limit-gate.js';
import type { RateLimiter, RateLimitKey, RateLimitResult } from '../../src/limits/rate-limiter.js';
import { RedisRateLimiter } from '../../src/limits/redis-rate-limiter.js';
import {
  blackHole,
  closedPort,
  deleteKeys,
  type FakeServer,
  REDIS_URL,
  relayToRedis,
  stallingRedis,
  uniquePrefix,
} from './redis-fixtures.js';

const prefix = uniquePrefix();
const cleanup: { close(): Promise<void> }[] = [];
const TIMEOUT_MS = 200;

function track<T extends { close(): Promise<void> }>(value: T): T {
  cleanup.push(value);
  return value;
}

/** Records what the gate logs. */
function recordingLog() {
  const lines: { level: 'warn' | 'error'; fields: unknown; message: unknown }[] = [];
  const log: LimitLog = {
    warn: (fields: unknown, message?: unknown) => void lines.push({ level: 'warn', fields, message }),
    error: (fields: unknown, message?: unknown) => void lines.push({ level: 'error', fields, message }),
  };
  return { log, lines };
}

const key = (limit = 1): RateLimitKey => ({
  key: `{ten_down}:rtl_down:agent:agt_${Math.random().toString(36).slice(2)}`,
  ruleId: 'rtl_down',
  limit,
  windowMs: 60_000,
});

async function timed(work: () => Promise<RateLimitResult>): Promise<{ result: RateLimitResult; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((item) => item.close()));
});
afterAll(async () => {
  await deleteKeys(prefix);
});

describe('an unreachable Redis answers unavailable quickly and never throws', () => {
  it('a closed port', async () => {
    const port = await closedPort();
    const limiter = track(
      new RedisRateLimiter({ url: `redis://127.0.0.1:${port}`, timeoutMs: TIMEOUT_MS, keyPrefix: prefix }),
    );
    expect(await limiter.ready(300)).toBe(false);
    for (let i = 0; i < 3; i++) {
      const { result, ms } = await timed(() => limiter.hit([key()], Date.now()));
      expect(result).toMatchObject({ ok: false, code: 'unavailable' });
      expect(ms).toBeLessThan(1_000);
    }
    const { result } = await timed(() => limiter.hit([key()], Date.now()));
    expect(result.ok === false && result.code === 'unavailable' && result.message).toMatch(/ECONNREFUSED/);
  });

  it('a server that accepts and never answers', async () => {
    const server = track(await blackHole());
    const limiter = track(
      new RedisRateLimiter({ url: server.url, timeoutMs: TIMEOUT_MS, keyPrefix: prefix }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { result, ms } = await timed(() => limiter.hit([key()], Date.now()));
    expect(result).toMatchObject({ ok: false, code: 'unavailable' });
    expect(ms).toBeLessThan(1_000);
  });

  it('a server that stops answering once connected: the command timeout ends the wait', async () => {
    const server = track(await stallingRedis());
    const limiter = track(
      new RedisRateLimiter({ url: server.url, timeoutMs: TIMEOUT_MS, keyPrefix: prefix }),
    );
    expect(await limiter.ready(1_000)).toBe(true);
    const { result, ms } = await timed(() => limiter.hit([key()], Date.now()));
    expect(result).toMatchObject({ ok: false, code: 'unavailable' });
    expect(result.ok === false && result.code === 'unavailable' && result.message).toMatch(/timed out/i);
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(ms).toBeLessThan(1_000);
  });

  it('a call with no applicable limits needs no Redis at all', async () => {
    const port = await closedPort();
    const limiter = track(new RedisRateLimiter({ url: `redis://127.0.0.1:${port}`, timeoutMs: TIMEOUT_MS }));
    expect(await limiter.hit([], Date.now())).toEqual({ ok: true });
  });
});

describe('Redis down fails closed', () => {
  it('by default (WARDEN_RATE_LIMIT_FAIL_MODE unset): the gate refuses, without counting anywhere else', async () => {
    const port = await closedPort();
    const { log, lines } = recordingLog();
    const gate = track(
      await createRateLimiter(
        loadConfig({ overrides: { redisUrl: `redis://127.0.0.1:${port}`, rateLimitTimeoutMs: TIMEOUT_MS } }),
        log,
        { keyPrefix: prefix },
      ),
    );
    expect(gate.failMode).toBe('closed');
    const k = key(1_000);
    for (let i = 0; i < 5; i++) {
      const { result, ms } = await timed(() => gate.hit([k], Date.now()));
      // Never admitted, even though a per-node count (1000 per minute) would admit every one of them.
      expect(result).toMatchObject({ ok: false, code: 'unavailable' });
      expect(ms).toBeLessThan(1_000);
    }
    expect(lines.some((line) => line.level === 'error')).toBe(true);
  });

  it('a server that never answers is refused as well', async () => {
    const server = track(await blackHole());
    const { log } = recordingLog();
    const gate = track(
      new RateLimitGate(
        new RedisRateLimiter({ url: server.url, timeoutMs: TIMEOUT_MS, keyPrefix: prefix }),
        'closed',
        log,
      ),
    );
    const { result, ms } = await timed(() => gate.hit([key()], Date.now()));
    expect(result).toMatchObject({ ok: false, code: 'unavailable' });
    expect(ms).toBeLessThan(1_000);
  });

  it('when Redis goes away mid-run, and admits again when it is back', async () => {
    const port = await closedPort();
    let relay: FakeServer | null = await relayToRedis(port);
    const { log } = recordingLog();
    const gate = new RateLimitGate(
      new RedisRateLimiter({ url: relay.url, timeoutMs: TIMEOUT_MS, keyPrefix: prefix }),
      'closed',
      log,
    );
    track(gate);
    try {
      const k = key(100);
      // Wait for the first connection.
      await waitFor(async () => (await gate.hit([k], Date.now())).ok);
      await relay.close();
      relay = null;
      await waitFor(async () => {
        const result = await gate.hit([k], Date.now());
        return result.ok === false && result.code === 'unavailable';
      });
      relay = await relayToRedis(port);
      await waitFor(async () => (await gate.hit([k], Date.now())).ok);
    } finally {
      await relay?.close();
    }
  });
});

describe('fail mode open', () => {
  it('admits with `degraded` and keeps no count of its own', async () => {
    const port = await closedPort();
    const { log, lines } = recordingLog();
    const gate = track(
      await createRateLimiter(
        { redisUrl: `redis://127.0.0.1:${port}`, rateLimitFailMode: 'open', rateLimitTimeoutMs: TIMEOUT_MS },
        log,
        { keyPrefix: prefix },
      ),
    );
    const k = key(1);
    const results: RateLimitResult[] = [];
    for (let i = 0; i < 5; i++) results.push(await gate.hit([k], Date.now()));
    // A limit of 1 and five admissions: nothing counted locally in Redis's stead.
    for (const result of results) {
      expect(result.ok).toBe(true);
      expect(result.ok && result.degraded).toMatch(/^rate limits not checked \(fail mode open\): /);
    }
    expect(lines.filter((line) => line.level === 'warn')).toHaveLength(1);
  });

  it('logs the outage at most once per 10 seconds', async () => {
    const { log, lines } = recordingLog();
    const down: RateLimiter = {
      hit: async () => ({ ok: false, code: 'unavailable', message: 'down for the test' }),
      close: async () => {},
    };
    const gate = new RateLimitGate(down, 'open', log);
    const t0 = 1_000_000;
    for (const t of [t0, t0 + 1, t0 + 5_000, t0 + 9_999]) await gate.hit([key()], t);
    expect(lines).toHaveLength(1);
    await gate.hit([key()], t0 + 10_000);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 'warn', fields: { reason: 'down for the test' } });
  });
});

describe('the gate', () => {
  it('passes results through when the store answers', async () => {
    const { log, lines } = recordingLog();
    const gate = track(
      await createRateLimiter(
        { redisUrl: REDIS_URL, rateLimitFailMode: 'closed', rateLimitTimeoutMs: 1_000 },
        log,
        {
          keyPrefix: prefix,
        },
      ),
    );
    const k = key(1);
    expect(await gate.hit([k], 1_000)).toEqual({ ok: true });
    expect(await gate.hit([k], 1_500)).toEqual({
      ok: false,
      code: 'limited',
      message: expect.stringContaining('allows'),
      ruleId: 'rtl_down',
      limit: 1,
      windowMs: 60_000,
      retryAfterMs: 59_500,
    });
    expect(lines).toHaveLength(0);
  });

  it('counts in memory when no Redis is configured', async () => {
    const { log } = recordingLog();
    const gate = track(
      await createRateLimiter(
        { redisUrl: undefined, rateLimitFailMode: 'closed', rateLimitTimeoutMs: 250 },
        log,
      ),
    );
    const k = key(2);
    expect((await gate.hit([k], 1)).ok).toBe(true);
    expect((await gate.hit([k], 2)).ok).toBe(true);
    expect(await gate.hit([k], 3)).toMatchObject({ ok: false, code: 'limited', retryAfterMs: 59_998 });
  });

  it('turns an adapter that throws into unavailable instead of throwing into the decide path', async () => {
    const { log } = recordingLog();
    const broken: RateLimiter = {
      hit: async () => {
        throw new Error('boom');
      },
      close: async () => {},
    };
    expect(await new RateLimitGate(broken, 'closed', log).hit([key()], 1)).toEqual({
      ok: false,
      code: 'unavailable',
      message: 'boom',
    });
    expect(await new RateLimitGate(broken, 'open', log).hit([key()], 1)).toEqual({
      ok: true,
      degraded: 'rate limits not checked (fail mode open): boom',
    });
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
