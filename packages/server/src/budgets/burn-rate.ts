/** Where a budget's current window is heading if it keeps using at the rate it has so far. */
export interface BurnProjection {
  /** Epoch ms the window ends; null for a task budget, whose window never rolls over. */
  readonly windowEnd: number | null;
  /** What the window will have used at its end at the current average rate. */
  readonly projectedUsed: number;
  /** When the limit is reached at that rate (now if it already is); null if not within the window. */
  readonly exhaustsAt: number | null;
}

/**
 * Shorter elapsed times than this are stretched to it, so the first call of a window (a dollar one
 * second in) is not read as a rate that would spend the month's budget within the hour.
 */
export const MIN_ELAPSED_MS = 15 * 60_000;

/**
 * A straight-line projection: the window's average rate so far (used / elapsed), carried to the
 * window's end. Pure arithmetic on base amounts, so the route and its tests share it.
 */
export function projectBurn(input: {
  readonly used: number;
  readonly limit: number;
  readonly windowStart: number;
  readonly windowEnd: number | null;
  readonly now: number;
}): BurnProjection {
  const { used, limit, windowStart, windowEnd, now } = input;
  if (windowEnd === null) {
    return { windowEnd: null, projectedUsed: used, exhaustsAt: used >= limit ? now : null };
  }
  const elapsed = Math.max(now - windowStart, Math.min(MIN_ELAPSED_MS, windowEnd - windowStart));
  const rate = used / elapsed;
  const remaining = Math.max(0, windowEnd - now);
  const projectedUsed = used + rate * remaining;
  if (used >= limit) return { windowEnd, projectedUsed, exhaustsAt: now };
  if (rate <= 0) return { windowEnd, projectedUsed, exhaustsAt: null };
  const exhaustsAt = now + Math.ceil((limit - used) / rate);
  return { windowEnd, projectedUsed, exhaustsAt: exhaustsAt < windowEnd ? exhaustsAt : null };
}
