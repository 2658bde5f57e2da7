import {
  ADMITTED,
  distinctKeys,
  limitMessage,
  type RateLimited,
  type RateLimiter,
  type RateLimitKey,
  type RateLimitResult,
} from './rate-limiter.js';

/** The admitted calls of one key still inside its window, oldest first, from `head` on. */
interface Log {
  times: number[];
  head: number;
  windowMs: number;
}

export interface MemoryRateLimiterOptions {
  /** How often (in the callers' time) logs whose window has passed are dropped. */
  readonly sweepIntervalMs?: number;
}

/**
 * Sliding logs in this process: right for one node, wrong for several (each would admit the limit).
 * A hit is synchronous between its check and its count, so all-or-nothing needs no lock. Memory is
 * bounded by the calls admitted within each key's window: idle keys are dropped by a sweep.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly logs = new Map<string, Log>();
  private readonly sweepIntervalMs: number;
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(options: MemoryRateLimiterOptions = {}) {
    this.sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
  }

  async hit(keys: readonly RateLimitKey[], now: number): Promise<RateLimitResult> {
    if (now - this.lastSweep >= this.sweepIntervalMs) this.sweep(now);
    if (keys.length === 0) return ADMITTED;
    const unique = distinctKeys(keys);
    let worst: RateLimited | null = null;
    for (const key of unique) {
      const log = this.logs.get(key.key);
      if (!log) continue;
      prune(log, now - key.windowMs);
      const count = log.times.length - log.head;
      if (count < key.limit) continue;
      // The call fits once enough of the oldest entries left the window for the count to drop below the limit.
      const blocking = log.times[log.head + count - key.limit] ?? now;
      const retryAfterMs = Math.max(1, blocking + key.windowMs - now);
      if (worst === null || retryAfterMs > worst.retryAfterMs) {
        worst = {
          ok: false,
          code: 'limited',
          message: limitMessage(key),
          ruleId: key.ruleId,
          limit: key.limit,
          windowMs: key.windowMs,
          retryAfterMs,
        };
      }
    }
    if (worst) return worst;
    for (const key of unique) {
      let log = this.logs.get(key.key);
      if (!log) {
        log = { times: [], head: 0, windowMs: key.windowMs };
        this.logs.set(key.key, log);
      }
      log.windowMs = key.windowMs;
      insert(log, now);
    }
    return ADMITTED;
  }

  /** Keys currently held (for tests of the memory bound). */
  get size(): number {
    return this.logs.size;
  }

  /** Drops every log whose newest call has left its window. */
  sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, log] of this.logs) {
      const newest = log.times[log.times.length - 1];
      if (newest === undefined || newest <= now - log.windowMs) this.logs.delete(key);
      else compact(log);
    }
  }

  async close(): Promise<void> {
    this.logs.clear();
  }
}

/** Removes the calls at or before `cutoff`: a window ending at `now` holds (now - windowMs, now]. */
function prune(log: Log, cutoff: number): void {
  const { times } = log;
  while (log.head < times.length && (times[log.head] ?? 0) <= cutoff) log.head++;
  compact(log);
}

/** Gives back the space of pruned entries once it is worth a copy. */
function compact(log: Log): void {
  if (log.head > 64 && log.head * 2 > log.times.length) {
    log.times = log.times.slice(log.head);
    log.head = 0;
  }
}

/** Keeps the log sorted: concurrent callers may pass their times slightly out of order. */
function insert(log: Log, time: number): void {
  const { times } = log;
  if (times.length === log.head || (times[times.length - 1] ?? 0) <= time) {
    times.push(time);
    return;
  }
  let low = log.head;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((times[middle] ?? 0) <= time) low = middle + 1;
    else high = middle;
  }
  times.splice(low, 0, time);
}
