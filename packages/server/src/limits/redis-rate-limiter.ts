import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  ADMITTED,
  distinctKeys,
  limitMessage,
  type RateLimiter,
  type RateLimitKey,
  type RateLimitResult,
} from './rate-limiter.js';

/**
 * One script per hit, so check and count are atomic across every node and every key of the call.
 * KEYS: one sorted set per key, scored by call time. ARGV: now, a unique member, then limit and window
 * per key. Answers {1} when counted, or {0, index of the worst key, its retry-after in ms}.
 */
const SCRIPT = `
local now = tonumber(ARGV[1])
local member = ARGV[2]
local worst = 0
local worstIndex = 0
for i = 1, #KEYS do
  local limit = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local count = redis.call('ZCARD', KEYS[i])
  if count >= limit then
    local entry = redis.call('ZRANGE', KEYS[i], count - limit, count - limit, 'WITHSCORES')
    local retry = tonumber(entry[2]) + window - now
    if retry < 1 then retry = 1 end
    if retry > worst then
      worst = retry
      worstIndex = i
    end
  end
end
if worstIndex > 0 then return {0, worstIndex, worst} end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now, member)
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2 + 2 * i]))
end
return {1}
`;
const SCRIPT_SHA = createHash('sha1').update(SCRIPT).digest('hex');

export interface RedisRateLimiterOptions {
  readonly url: string;
  /** Longest wait for an answer; past it the hit is `unavailable`. */
  readonly timeoutMs: number;
  /** Before the `{<tenantId>}` hash tag of every key; tests use their own. */
  readonly keyPrefix?: string;
}

export const DEFAULT_KEY_PREFIX = 'warden:rl:';

/**
 * Sliding logs in Redis, shared by every node. The client never queues a command while disconnected
 * and never retries one: an unreachable or stalled Redis answers `unavailable` within the timeout
 * instead of holding the decide path, and reconnection goes on in the background.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  private readonly keyPrefix: string;
  /** Members must be unique across nodes: two calls in the same millisecond are two entries. */
  private readonly nonce = randomBytes(8).toString('hex');
  private serial = 0;
  private lastError = 'not connected yet';

  constructor(options: RedisRateLimiterOptions) {
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.redis = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.timeoutMs,
      connectTimeout: Math.max(options.timeoutMs, 1_000),
      // Keep trying in the background, never more than a second apart, for as long as the node runs.
      retryStrategy: (attempt) => Math.min(50 * attempt, 1_000),
      reconnectOnError: () => false,
    });
    // Without a listener an 'error' event would crash the process; the gate reports outages instead.
    this.redis.on('error', (error: Error) => {
      this.lastError = error.message;
    });
    this.redis.connect().catch((error: Error) => {
      this.lastError = error.message;
    });
  }

  /** Resolves true once connected, false if not within `timeoutMs` (hits then answer `unavailable`). */
  ready(timeoutMs: number): Promise<boolean> {
    if (this.redis.status === 'ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(value);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.redis.on('ready', onReady);
    });
  }

  async hit(keys: readonly RateLimitKey[], now: number): Promise<RateLimitResult> {
    if (keys.length === 0) return ADMITTED;
    if (this.redis.status !== 'ready') {
      return {
        ok: false,
        code: 'unavailable',
        message: `redis is ${this.redis.status}: ${this.lastError}`,
      };
    }
    const unique = distinctKeys(keys);
    const names = unique.map((key) => this.keyPrefix + key.key);
    const args: (string | number)[] = [now, `${now}:${this.nonce}:${++this.serial}`];
    for (const key of unique) args.push(key.limit, key.windowMs);
    try {
      const reply = await this.run(names, args);
      return this.result(reply, unique);
    } catch (error) {
      return { ok: false, code: 'unavailable', message: `redis: ${(error as Error).message}` };
    }
  }

  private async run(names: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(SCRIPT_SHA, names.length, ...names, ...args);
    } catch (error) {
      // A restarted or flushed Redis forgets scripts; EVAL loads it again for the next EVALSHA.
      if (!(error as Error).message.startsWith('NOSCRIPT')) throw error;
      return this.redis.eval(SCRIPT, names.length, ...names, ...args);
    }
  }

  private result(reply: unknown, keys: readonly RateLimitKey[]): RateLimitResult {
    if (!Array.isArray(reply)) throw new Error(`unexpected reply ${String(reply)}`);
    if (reply[0] === 1) return ADMITTED;
    const key = keys[Number(reply[1]) - 1];
    if (!key) throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
    return {
      ok: false,
      code: 'limited',
      message: limitMessage(key),
      ruleId: key.ruleId,
      limit: key.limit,
      windowMs: key.windowMs,
      retryAfterMs: Number(reply[2]),
    };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
