/** Amounts and times as people read them. */

export function formatAmount(value: number, unit: string): string {
  if (unit === 'usd') return `$${value.toLocaleString('en-US', { maximumFractionDigits: 2 })}`;
  return `${value.toLocaleString('en-US', { maximumFractionDigits: 2 })} ${unit}`;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return date.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

/** "in 12 min", "3 h ago": coarse, for lists. */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  const text =
    abs < 60
      ? `${abs} s`
      : abs < 3600
        ? `${Math.round(abs / 60)} min`
        : abs < 86400
          ? `${Math.round(abs / 3600)} h`
          : `${Math.round(abs / 86400)} d`;
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}

/** A countdown "mm:ss" or "h:mm:ss"; "passed" once the time is behind us. */
export function countdown(iso: string, now: number): string {
  const total = Math.floor((new Date(iso).getTime() - now) / 1000);
  if (total <= 0) return 'passed';
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mmss = `${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}

/** Arguments as a short phrase: `amount 700, currency EUR`. */
export function argsSummary(args: unknown, max = 120): string {
  if (args === null || args === undefined) return '';
  if (typeof args !== 'object') return String(args);
  const text = Object.entries(args as Record<string, unknown>)
    .map(([key, value]) => `${key} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(', ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
