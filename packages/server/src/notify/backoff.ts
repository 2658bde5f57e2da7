/** No retry waits longer than this, however many attempts came before. */
export const MAX_RETRY_DELAY_MS = 10 * 60_000;

/** How far a delay may stray from its nominal value, so many failed deliveries do not retry in step. */
const JITTER = 0.2;

/**
 * How long to wait after failed attempt `attempt` (from 1): `base * 2^(attempt-1)`, jittered by ±20 %,
 * capped at ten minutes. `random` is in [0, 1).
 */
export function retryDelay(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const nominal = Math.min(baseMs * 2 ** Math.max(0, attempt - 1), MAX_RETRY_DELAY_MS);
  const jittered = nominal * (1 - JITTER + 2 * JITTER * random());
  return Math.round(Math.min(jittered, MAX_RETRY_DELAY_MS));
}
