import { describe, expect, it } from 'vitest';
import { isTimeZone, windowOf } from '../../src/budgets/windows.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const window = (period: Parameters<typeof windowOf>[0], zone: string, at: string) => {
  const w = windowOf(period, zone, Date.parse(at));
  return [iso(w.start), iso(w.end)];
};

describe('calendar budget windows', () => {
  it('starts days at local midnight, including the short and long days of daylight-saving changes', () => {
    expect(window('day', 'UTC', '2026-11-21T10:00:00Z')).toEqual([
      '2026-11-21T00:00:00.000Z',
      '2026-11-22T00:00:00.000Z',
    ]);
    expect(window('day', 'Europe/Berlin', '2026-11-21T23:30:00Z')).toEqual([
      '2026-11-21T23:00:00.000Z',
      '2026-11-22T23:00:00.000Z',
    ]);
    expect(window('day', 'Europe/Berlin', '2026-03-29T12:00:00Z')).toEqual([
      '2026-03-28T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
    ]);
    expect(window('day', 'Europe/Berlin', '2026-10-25T12:00:00Z')).toEqual([
      '2026-10-24T22:00:00.000Z',
      '2026-10-25T23:00:00.000Z',
    ]);
  });

  it('starts weeks on Monday and months on the first, in the zone', () => {
    expect(window('week', 'Europe/Berlin', '2026-11-21T10:00:00Z')).toEqual([
      '2026-11-15T23:00:00.000Z',
      '2026-11-22T23:00:00.000Z',
    ]);
    // 03:00 UTC on 1 November is still October in New York.
    expect(window('month', 'America/New_York', '2026-11-01T03:00:00Z')).toEqual([
      '2026-10-01T04:00:00.000Z',
      '2026-11-01T04:00:00.000Z',
    ]);
    expect(window('month', 'UTC', '2026-12-31T23:59:59Z')).toEqual([
      '2026-12-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ]);
  });

  it('starts hours on the local hour, also in half-hour zones', () => {
    expect(window('hour', 'Asia/Kolkata', '2026-11-21T10:10:00Z')).toEqual([
      '2026-11-21T09:30:00.000Z',
      '2026-11-21T10:30:00.000Z',
    ]);
  });

  it('never rolls the task window over', () => {
    expect(window('task', 'UTC', '2026-11-21T10:00:00Z')).toEqual(['1970-01-01T00:00:00.000Z', null]);
  });

  it('moves to the next window exactly at its end, also from a cached window', () => {
    const zone = 'Europe/Berlin';
    expect(window('day', zone, '2026-06-01T21:59:59.999Z')[0]).toBe('2026-05-31T22:00:00.000Z');
    expect(window('day', zone, '2026-06-01T22:00:00.000Z')[0]).toBe('2026-06-01T22:00:00.000Z');
    expect(window('day', zone, '2026-06-01T21:00:00.000Z')[0]).toBe('2026-05-31T22:00:00.000Z');
  });

  it('knows IANA zones', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
