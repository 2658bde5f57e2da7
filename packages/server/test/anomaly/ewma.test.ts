import { describe, expect, it } from 'vitest';
import { advance, unannounced } from '../../src/anomaly/advance.js';
import { type Baseline, foldHour, foldHours, foldQuietHours, HOUR_MS } from '../../src/anomaly/ewma.js';
import { ANOMALY_FLOORS, anomaliesOf } from '../../src/anomaly/thresholds.js';

const ALPHA = 0.2;
const FACTORS = { calls: 10, records: 10, cost: 1.5 };
const OPTIONS = { alpha: ALPHA, factors: FACTORS, minSamples: 3 };
const H0 = 1_900_000_000_000 - (1_900_000_000_000 % HOUR_MS);
const at = (n: number) => H0 + n * HOUR_MS;
const hour = (calls: number, records: number, costUsd: number) => ({ calls, records, costUsd });

describe('EWMA baselines', () => {
  it('initialises from the first hour, then weighs each new hour by alpha', () => {
    const first = foldHour(null, hour(10, 100, 2), ALPHA);
    expect(first).toEqual({ calls: 10, records: 100, cost: 2, samples: 1 });
    const second = foldHour(first, hour(20, 0, 4), ALPHA);
    expect(second.calls).toBeCloseTo(0.2 * 20 + 0.8 * 10, 12);
    expect(second.records).toBeCloseTo(80, 12);
    expect(second.cost).toBeCloseTo(0.2 * 4 + 0.8 * 2, 12);
    expect(second.samples).toBe(2);
  });

  it('folds quiet hours as zero, in one step equal to folding them one by one', () => {
    const base: Baseline = { calls: 50, records: 400, cost: 3, samples: 7 };
    let stepwise = base;
    for (let i = 0; i < 30; i++) stepwise = foldHour(stepwise, hour(0, 0, 0), ALPHA);
    const closed = foldQuietHours(base, 30, ALPHA);
    expect(closed.samples).toBe(37);
    expect(closed.calls).toBeCloseTo(stepwise.calls, 9);
    expect(closed.records).toBeCloseTo(stepwise.records, 9);
    expect(closed.cost).toBeCloseTo(stepwise.cost, 9);
    expect(foldQuietHours(base, 0, ALPHA)).toBe(base);
  });

  it('skips leading quiet hours of an untracked agent and folds later ones as zero', () => {
    const folded = foldHours(null, [null, null, hour(10, 10, 1), null, hour(10, 10, 1)], ALPHA);
    expect(folded?.samples).toBe(3);
    expect(folded?.calls).toBeCloseTo(0.2 * 10 + 0.8 * (0.8 * 10), 12);
    expect(foldHours(null, [null, null], ALPHA)).toBeNull();
  });
});

describe('thresholds', () => {
  const steady: Baseline = { calls: 20, records: 30, cost: 2, samples: 5 };

  it('flags records over 10×, cost over 1.5× and calls over 10× the baseline', () => {
    expect(anomaliesOf(hour(100, 301, 3.01), steady, FACTORS, 3)).toEqual([
      { metric: 'records', value: 301, baseline: 30, factor: 10, floor: ANOMALY_FLOORS.records },
      { metric: 'cost', value: 3.01, baseline: 2, factor: 1.5, floor: ANOMALY_FLOORS.cost },
    ]);
    expect(anomaliesOf(hour(201, 0, 0), steady, FACTORS, 3).map((a) => a.metric)).toEqual(['calls']);
  });

  it('does not flag values at or below the threshold', () => {
    expect(anomaliesOf(hour(200, 300, 3), steady, FACTORS, 3)).toEqual([]);
  });

  it('needs the absolute floor when the baseline is tiny', () => {
    const quiet: Baseline = { calls: 0, records: 0.5, cost: 0.01, samples: 10 };
    expect(anomaliesOf(hour(99, 99, 0.99), quiet, FACTORS, 3)).toEqual([]);
    expect(anomaliesOf(hour(100, 100, 1), quiet, FACTORS, 3).map((a) => a.metric)).toEqual([
      'calls',
      'records',
      'cost',
    ]);
  });

  it('says nothing until the baseline has the minimum number of samples', () => {
    const young: Baseline = { ...steady, samples: 2 };
    expect(anomaliesOf(hour(10_000, 10_000, 100), young, FACTORS, 3)).toEqual([]);
    expect(anomaliesOf(hour(10_000, 10_000, 100), null, FACTORS, 3)).toEqual([]);
  });
});

describe('advance', () => {
  const usage = (entries: [number, ReturnType<typeof hour>][]) =>
    new Map(entries.map(([n, v]) => [at(n), v]));

  it('starts an untracked agent at its first hour and folds through the last completed hour', () => {
    const result = advance(null, usage([[2, hour(10, 20, 1)]]), at(4), OPTIONS);
    expect(result?.next.foldedHour).toBe(at(4));
    expect(result?.next.baseline.samples).toBe(3);
    expect(result?.next.baseline.records).toBeCloseTo(20 * 0.64, 12);
    expect(result?.alerts).toEqual([]);
    expect(advance(null, usage([[5, hour(1, 1, 1)]]), at(4), OPTIONS)).toBeNull();
  });

  it('checks each hour against the baseline before that hour, so a spike is not hidden by itself', () => {
    const prior = {
      baseline: { calls: 10, records: 20, cost: 1, samples: 5 },
      foldedHour: at(0),
      alertedHour: null,
      alerted: [],
    };
    const result = advance(prior, usage([[1, hour(10, 201, 1)]]), at(1), OPTIONS);
    expect(result?.alerts).toEqual([
      { hour: at(1), anomaly: { metric: 'records', value: 201, baseline: 20, factor: 10, floor: 100 } },
    ]);
    expect(result?.next).toMatchObject({ foldedHour: at(1), alertedHour: at(1), alerted: ['records'] });
    expect(result?.next.baseline.records).toBeCloseTo(0.2 * 201 + 0.8 * 20, 12);
    // Already announced while the hour was open: folding it announces nothing again.
    const again = advance(
      { ...prior, alertedHour: at(1), alerted: ['records'] },
      usage([[1, hour(10, 201, 1)]]),
      at(1),
      OPTIONS,
    );
    expect(again?.alerts).toEqual([]);
    expect(
      advance({ ...prior, foldedHour: at(1) }, usage([[1, hour(10, 201, 1)]]), at(1), OPTIONS),
    ).toBeNull();
  });

  it('keeps the announced metrics of an hour and never goes back to an earlier one', () => {
    const state = { alertedHour: at(3), alerted: ['records' as const] };
    const cost = { metric: 'cost' as const, value: 9, baseline: 1, factor: 1.5, floor: 1 };
    const records = { ...cost, metric: 'records' as const };
    expect(unannounced(state, at(3), [records, cost])).toEqual({
      fresh: [cost],
      alertedHour: at(3),
      alerted: ['records', 'cost'],
    });
    expect(unannounced(state, at(2), [cost]).fresh).toEqual([]);
    expect(unannounced(state, at(4), [records])).toEqual({
      fresh: [records],
      alertedHour: at(4),
      alerted: ['records'],
    });
  });
});
