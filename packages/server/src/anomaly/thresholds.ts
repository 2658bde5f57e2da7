import type { Config } from '../config/config.js';
import type { Baseline, HourValues } from './ewma.js';

export const METRICS = ['calls', 'records', 'cost'] as const;
export type Metric = (typeof METRICS)[number];

/**
 * The absolute floor an hour must reach before it can count as an anomaly, whatever the baseline.
 * A new or quiet agent has a baseline near zero, and "ten times nothing" is not a signal: an agent
 * that usually makes 2 calls an hour making 25 is not worth waking security for, one making 500 is.
 */
export const ANOMALY_FLOORS: Readonly<Record<Metric, number>> = { calls: 100, records: 100, cost: 1 };

export type AnomalyFactors = Readonly<Record<Metric, number>>;

export type AnomalyConfig = Pick<
  Config,
  'anomalyCallsFactor' | 'anomalyRecordsFactor' | 'anomalyCostFactor' | 'anomalyMinSamples'
>;

export function factorsOf(config: AnomalyConfig): AnomalyFactors {
  return {
    calls: config.anomalyCallsFactor,
    records: config.anomalyRecordsFactor,
    cost: config.anomalyCostFactor,
  };
}

export interface Anomaly {
  readonly metric: Metric;
  readonly value: number;
  readonly baseline: number;
  readonly factor: number;
  readonly floor: number;
}

export function metricValue(hour: HourValues, metric: Metric): number {
  return metric === 'cost' ? hour.costUsd : hour[metric];
}

/**
 * The metrics of `hour` that exceed factor × baseline and reach their floor. Nothing counts until
 * the baseline has `minSamples` hours behind it: a baseline of one hour says little.
 */
export function anomaliesOf(
  hour: HourValues,
  baseline: Baseline | null,
  factors: AnomalyFactors,
  minSamples: number,
): Anomaly[] {
  if (baseline === null || baseline.samples < minSamples) return [];
  const found: Anomaly[] = [];
  for (const metric of METRICS) {
    const value = metricValue(hour, metric);
    const base = baseline[metric];
    const factor = factors[metric];
    const floor = ANOMALY_FLOORS[metric];
    if (value > factor * base && value >= floor) found.push({ metric, value, baseline: base, factor, floor });
  }
  return found;
}
