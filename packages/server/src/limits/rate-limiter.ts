import type { Failure } from '../result.js';

/** One counter a call is charged to: a rule applied to an agent, a task, or an agent and a tool. */
export interface RateLimitKey {
  /** Unique per rule and subject; starts with the tenant's hash tag `{<tenantId>}`. */
  readonly key: string;
  readonly ruleId: string;
  readonly limit: number;
  readonly windowMs: number;
}

export type RateLimitResult =
  /** `degraded`: the limits could not be checked and the fail-open mode admitted the call; says why. */
  | { readonly ok: true; readonly degraded?: string }
  | (Failure<'limited'> & {
      readonly ruleId: string;
      readonly limit: number;
      readonly windowMs: number;
      /** When the call would next be admitted, if nothing else is counted meanwhile. */
      readonly retryAfterMs: number;
    })
  | Failure<'unavailable'>;

/**
 * The rate-limit port: a sliding log per key, so no more than `limit` calls are ever admitted in any
 * window of `windowMs` ending at a call (a fixed window would admit twice the limit across its edge).
 * Adapters never throw: broken infrastructure is the `unavailable` result, which the gate turns into
 * a refusal or, when configured, a degraded admission.
 */
export interface RateLimiter {
  /** Counts one call against every key, all or nothing: when any key is at its limit nothing is counted. */
  hit(keys: readonly RateLimitKey[], now: number): Promise<RateLimitResult>;
  close(): Promise<void>;
}

export type RateLimited = Extract<RateLimitResult, { code: 'limited' }>;

export const ADMITTED: RateLimitResult = Object.freeze({ ok: true });

/** The same key twice in one hit would be counted twice; callers should not, but a hit never does. */
export function distinctKeys(keys: readonly RateLimitKey[]): readonly RateLimitKey[] {
  if (keys.length < 2) return keys;
  const seen = new Set<string>();
  const out: RateLimitKey[] = [];
  for (const key of keys) {
    if (seen.has(key.key)) continue;
    seen.add(key.key);
    out.push(key);
  }
  return out;
}

/** What a refusal by one rule says: the rule and its limit. */
export function limitMessage(key: RateLimitKey): string {
  return `rate limit ${key.ruleId} allows ${key.limit} calls per ${key.windowMs / 1000} s`;
}
