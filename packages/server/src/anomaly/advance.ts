import type { BaselineState } from './baseline-store.js';
import { foldHour, foldQuietHours, HOUR_MS, type HourValues } from './ewma.js';
import { type Anomaly, type AnomalyFactors, anomaliesOf, type Metric } from './thresholds.js';

export interface HourAlert {
  readonly hour: number;
  readonly anomaly: Anomaly;
}

export interface AdvanceOptions {
  readonly alpha: number;
  readonly factors: AnomalyFactors;
  readonly minSamples: number;
}

/**
 * Keeps only the anomalies of `hour` not announced yet. Only one hour's announcements are kept, and
 * hours are checked in order, so an hour before the last announced one is never announced again.
 */
export function unannounced(
  state: Pick<BaselineState, 'alertedHour' | 'alerted'>,
  hour: number,
  found: readonly Anomaly[],
): { fresh: Anomaly[]; alertedHour: number | null; alerted: readonly Metric[] } {
  const unchanged = { fresh: [], alertedHour: state.alertedHour, alerted: state.alerted };
  if (state.alertedHour !== null && hour < state.alertedHour) return unchanged;
  const sameHour = state.alertedHour === hour;
  const fresh = found.filter((anomaly) => !(sameHour && state.alerted.includes(anomaly.metric)));
  if (fresh.length === 0) return unchanged;
  const metrics = fresh.map((anomaly) => anomaly.metric);
  return { fresh, alertedHour: hour, alerted: sameHour ? [...state.alerted, ...metrics] : metrics };
}

/**
 * Folds every completed hour after the baseline's last one up to `through` (inclusive). Each hour
 * is checked against the baseline as it stood before that hour: folded in first, an hour would
 * raise its own baseline and hide itself. Without a prior baseline, tracking starts at the agent's
 * first hour with usage. Null when there is nothing to fold.
 */
export function advance(
  prior: BaselineState | null,
  usage: ReadonlyMap<number, HourValues>,
  through: number,
  options: AdvanceOptions,
): { next: BaselineState; alerts: HourAlert[] } | null {
  const hours = [...usage.keys()].filter((hour) => hour <= through).sort((a, b) => a - b);
  const start = prior ? prior.foldedHour + HOUR_MS : hours[0];
  if (start === undefined || start > through) return null;
  let baseline = prior?.baseline ?? null;
  let announced = { alertedHour: prior?.alertedHour ?? null, alerted: prior?.alerted ?? [] };
  const alerts: HourAlert[] = [];
  let cursor = start;
  for (const hour of hours) {
    if (hour < start) continue;
    if (baseline) baseline = foldQuietHours(baseline, (hour - cursor) / HOUR_MS, options.alpha);
    const values = usage.get(hour) as HourValues;
    const found = anomaliesOf(values, baseline, options.factors, options.minSamples);
    const checked = unannounced(announced, hour, found);
    announced = { alertedHour: checked.alertedHour, alerted: checked.alerted };
    for (const anomaly of checked.fresh) alerts.push({ hour, anomaly });
    baseline = foldHour(baseline, values, options.alpha);
    cursor = hour + HOUR_MS;
  }
  // Unreachable: with no prior baseline, `start` is an hour with usage, which initialised one.
  if (!baseline) return null;
  baseline = foldQuietHours(baseline, (through + HOUR_MS - cursor) / HOUR_MS, options.alpha);
  return { next: { baseline, foldedHour: through, ...announced }, alerts };
}
