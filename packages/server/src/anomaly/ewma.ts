/**
 * Exponentially weighted moving averages of an agent's hourly usage: the baselines anomalies and
 * the circuit breaker compare against. Pure functions; the monitor decides which hours to fold.
 */

export const HOUR_MS = 3_600_000;

/** One hour of an agent's usage. */
export interface HourValues {
  readonly calls: number;
  readonly records: number;
  readonly costUsd: number;
}

export interface Baseline {
  readonly calls: number;
  readonly records: number;
  readonly cost: number;
  /** Completed hours folded in, including the hours without usage. */
  readonly samples: number;
}

export function hourStart(ms: number): number {
  return ms - (ms % HOUR_MS);
}

/** ewma = alpha * x + (1 - alpha) * ewma; the first hour seen initialises the baseline. */
export function foldHour(baseline: Baseline | null, hour: HourValues, alpha: number): Baseline {
  if (baseline === null) return { calls: hour.calls, records: hour.records, cost: hour.costUsd, samples: 1 };
  return {
    calls: alpha * hour.calls + (1 - alpha) * baseline.calls,
    records: alpha * hour.records + (1 - alpha) * baseline.records,
    cost: alpha * hour.costUsd + (1 - alpha) * baseline.cost,
    samples: baseline.samples + 1,
  };
}

/**
 * Folds `hours` hours without usage at once: each multiplies the averages by (1 - alpha), so a
 * long quiet stretch (a node down for a week, an idle agent) costs one step, not one per hour.
 */
export function foldQuietHours(baseline: Baseline, hours: number, alpha: number): Baseline {
  if (hours <= 0) return baseline;
  const keep = (1 - alpha) ** hours;
  return {
    calls: baseline.calls * keep,
    records: baseline.records * keep,
    cost: baseline.cost * keep,
    samples: baseline.samples + hours,
  };
}

/** Folds consecutive hours in order (`null` for an hour without usage). */
export function foldHours(
  baseline: Baseline | null,
  hours: readonly (HourValues | null)[],
  alpha: number,
): Baseline | null {
  let state = baseline;
  for (const hour of hours) {
    if (hour !== null) state = foldHour(state, hour, alpha);
    else if (state !== null) state = foldQuietHours(state, 1, alpha);
  }
  return state;
}
