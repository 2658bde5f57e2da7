import { describe, expect, it } from 'vitest';
import { MIN_ELAPSED_MS, projectBurn } from '../../src/budgets/burn-rate.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('projectBurn', () => {
  it('carries the average rate so far to the end of the window', () => {
    // 6 of 24 hours gone, 25 used: 100 at the end of the day, limit 80 reached after 16 more hours... no:
    // rate 25 / 6 h; 80 is reached when 55 more are used, 13.2 hours from now.
    const projection = projectBurn({ used: 25, limit: 80, windowStart: 0, windowEnd: DAY, now: 6 * HOUR });
    expect(projection.windowEnd).toBe(DAY);
    expect(projection.projectedUsed).toBeCloseTo(100, 9);
    expect(projection.exhaustsAt).toBe(6 * HOUR + Math.ceil((55 * 6 * HOUR) / 25));
  });

  it('has no exhaustion when the projection stays under the limit', () => {
    const projection = projectBurn({ used: 10, limit: 100, windowStart: 0, windowEnd: DAY, now: 12 * HOUR });
    expect(projection.projectedUsed).toBeCloseTo(20, 9);
    expect(projection.exhaustsAt).toBeNull();
  });

  it('says now once the limit is reached, and nothing without use', () => {
    expect(projectBurn({ used: 100, limit: 100, windowStart: 0, windowEnd: DAY, now: HOUR }).exhaustsAt).toBe(
      HOUR,
    );
    expect(projectBurn({ used: 0, limit: 100, windowStart: 0, windowEnd: DAY, now: HOUR })).toEqual({
      windowEnd: DAY,
      projectedUsed: 0,
      exhaustsAt: null,
    });
  });

  it('does not read the first minutes of a window as a rate', () => {
    // One unit one second in: read over 15 minutes, not over one second.
    const projection = projectBurn({ used: 1, limit: 1_000, windowStart: 0, windowEnd: DAY, now: 1_000 });
    expect(projection.projectedUsed).toBeCloseTo(1 + (DAY - 1_000) / MIN_ELAPSED_MS, 9);
    expect(projection.exhaustsAt).toBeNull();
  });

  it('projects a task window, which never ends, as it stands', () => {
    expect(projectBurn({ used: 5, limit: 10, windowStart: 0, windowEnd: null, now: HOUR })).toEqual({
      windowEnd: null,
      projectedUsed: 5,
      exhaustsAt: null,
    });
    expect(projectBurn({ used: 10, limit: 10, windowStart: 0, windowEnd: null, now: HOUR }).exhaustsAt).toBe(
      HOUR,
    );
  });
});
