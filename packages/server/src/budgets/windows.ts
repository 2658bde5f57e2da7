import type { BudgetPeriod } from './budget.js';

export interface BudgetWindow {
  /** Epoch ms of the window's first instant; 0 for the task window, which never rolls over. */
  readonly start: number;
  /** Epoch ms of the next window's start; null for the task window. */
  readonly end: number | null;
}

/**
 * The calendar window holding `now` in `timeZone`: hours, days, ISO weeks (from Monday) and months
 * start at local midnight (or the local hour), so a tenant in Berlin gets its daily budget back at
 * midnight in Berlin, across daylight-saving changes too.
 */
export function windowOf(period: BudgetPeriod, timeZone: string, now: number): BudgetWindow {
  if (period === 'task') return TASK_WINDOW;
  // The decide path asks for the same few windows on every call: reuse one while `now` is in it.
  const cacheKey = `${period}|${timeZone}`;
  const cached = recent.get(cacheKey);
  if (cached && now >= cached.start && cached.end !== null && now < cached.end) return cached;
  const window = computeWindow(period, timeZone, now);
  if (recent.size > 1_000) recent.clear();
  recent.set(cacheKey, window);
  return window;
}

const TASK_WINDOW: BudgetWindow = Object.freeze({ start: 0, end: null });
const recent = new Map<string, BudgetWindow>();

function computeWindow(period: Exclude<BudgetPeriod, 'task'>, timeZone: string, now: number): BudgetWindow {
  if (period === 'hour') {
    // Every zone in use today is offset by whole quarter hours, so local hours start on UTC quarter
    // hours; finding the local hour's start from the local minute is exact.
    const local = localParts(timeZone, now);
    const start = now - (now % 60_000) - local.minute * 60_000;
    return { start, end: start + 3_600_000 };
  }
  const local = localParts(timeZone, now);
  let startDate: [number, number, number];
  let endDate: [number, number, number];
  if (period === 'day') {
    startDate = [local.year, local.month, local.day];
    endDate = addDays(startDate, 1);
  } else if (period === 'week') {
    const weekday = new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay();
    startDate = addDays([local.year, local.month, local.day], -((weekday + 6) % 7));
    endDate = addDays(startDate, 7);
  } else {
    startDate = [local.year, local.month, 1];
    endDate = local.month === 12 ? [local.year + 1, 1, 1] : [local.year, local.month + 1, 1];
  }
  return { start: localMidnight(timeZone, startDate), end: localMidnight(timeZone, endDate) };
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

interface LocalParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function localParts(timeZone: string, at: number): LocalParts {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(at)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
  };
}

/** The zone's offset from UTC at `at`, in ms (Berlin in winter: +3,600,000). */
function offsetAt(timeZone: string, at: number): number {
  const p = localParts(timeZone, at);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
  return asUtc - (at - (at % 60_000));
}

/** The instant local midnight of `date` happens in `timeZone` (or the first instant after, in a gap). */
function localMidnight(timeZone: string, [year, month, day]: [number, number, number]): number {
  const wall = Date.UTC(year, month - 1, day);
  // Two rounds settle the offset even when midnight sits next to a daylight-saving change.
  let guess = wall - offsetAt(timeZone, wall);
  guess = wall - offsetAt(timeZone, guess);
  return guess;
}

function addDays([year, month, day]: [number, number, number], days: number): [number, number, number] {
  const date = new Date(Date.UTC(year, month - 1, day + days));
  return [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
}
