import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/config.js';
import { MemoryRateLimiter } from './memory-rate-limiter.js';
import { ADMITTED, type RateLimiter, type RateLimitKey, type RateLimitResult } from './rate-limiter.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';

export type RateLimitFailMode = 'closed' | 'open';
export type LimitLog = Pick<FastifyBaseLogger, 'warn' | 'error'>;

/** An outage is logged at most this often: every refused or degraded call would flood the log. */
export const OUTAGE_LOG_INTERVAL_MS = 10_000;
/** How long a starting node waits for Redis before serving (hits answer `unavailable` until it connects). */
const STARTUP_WAIT_MS = 2_000;

/**
 * What the decide path calls. When the limits cannot be checked, `closed` (the default) keeps the
 * refusal and `open` admits the call marked `degraded`. There is no third way: a node never counts
 * on its own when the shared store is down, because N nodes would each admit the whole limit.
 */
export class RateLimitGate implements RateLimiter {
  private lastOutageLog = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly limiter: RateLimiter,
    readonly failMode: RateLimitFailMode,
    private readonly log: LimitLog,
  ) {}

  async hit(keys: readonly RateLimitKey[], now: number): Promise<RateLimitResult> {
    if (keys.length === 0) return ADMITTED;
    let result: RateLimitResult;
    try {
      result = await this.limiter.hit(keys, now);
    } catch (error) {
      // Adapters should not throw; if one does, it is an outage like any other, never a crash.
      result = { ok: false, code: 'unavailable', message: (error as Error).message };
    }
    if (result.ok || result.code === 'limited') return result;
    const open = this.failMode === 'open';
    if (now - this.lastOutageLog >= OUTAGE_LOG_INTERVAL_MS) {
      this.lastOutageLog = now;
      if (open)
        this.log.warn(
          { reason: result.message },
          'rate limits unavailable: admitting calls unchecked (fail mode open)',
        );
      else
        this.log.error(
          { reason: result.message },
          'rate limits unavailable: refusing calls (fail mode closed)',
        );
    }
    if (!open) return result;
    return { ok: true, degraded: `rate limits not checked (fail mode open): ${result.message}` };
  }

  close(): Promise<void> {
    return this.limiter.close();
  }
}

export interface RateLimiterSettings {
  readonly redisUrl: Config['redisUrl'];
  readonly rateLimitFailMode: Config['rateLimitFailMode'];
  readonly rateLimitTimeoutMs: Config['rateLimitTimeoutMs'];
}

/** Redis when WARDEN_REDIS_URL is set (several nodes), else memory (one node); wrapped in the gate. */
export async function createRateLimiter(
  config: RateLimiterSettings,
  log: LimitLog,
  options: { readonly keyPrefix?: string } = {},
): Promise<RateLimitGate> {
  if (!config.redisUrl) return new RateLimitGate(new MemoryRateLimiter(), config.rateLimitFailMode, log);
  const redis = new RedisRateLimiter({
    url: config.redisUrl,
    timeoutMs: config.rateLimitTimeoutMs,
    ...(options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix }),
  });
  if (!(await redis.ready(STARTUP_WAIT_MS))) {
    log.error(
      { failMode: config.rateLimitFailMode },
      'WARDEN_REDIS_URL is not reachable yet; rate-limited calls are refused (closed) or unchecked (open) until it is',
    );
  }
  return new RateLimitGate(redis, config.rateLimitFailMode, log);
}
