/**
 * The human log format (WARDEN_LOG_FORMAT=pretty): pino writes its JSON line here and a person reads
 * one short line — the time, what happened and to whom — instead of a JSON object. It formats in
 * the process (no transport worker thread, no dependency); the JSON format stays the one for log
 * collectors.
 */

/** What pino needs of a destination. */
export interface LogDestination {
  write(line: string): void;
}

const LEVELS: Readonly<Record<number, string>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** Fields every line has, or that the human line already says in words. */
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'requestId', 'err', 'reqId']);

/** Writes each pino JSON line to `out` as the human line. */
export function prettyLogStream(out: (text: string) => void): LogDestination {
  return { write: (line) => out(`${formatLogLine(line)}\n`) };
}

/** One pino JSON line as one readable line; a line that is not JSON passes through unchanged. */
export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.replace(/\n+$/, '');
  }
  if (typeof entry !== 'object' || entry === null) return line.replace(/\n+$/, '');
  const time = typeof entry.time === 'number' ? clock(entry.time) : '--:--:--';
  if (entry.msg === 'notification' && typeof entry.summary === 'string') return `${time} ${notice(entry)}`;
  const level = (LEVELS[entry.level as number] ?? 'log').padEnd(6);
  const parts = [String(entry.msg ?? '')];
  const err = entry.err as { message?: unknown; type?: unknown } | undefined;
  if (err && typeof err === 'object')
    parts.push(`${String(err.type ?? 'Error')}: ${String(err.message ?? '')}`);
  const details = Object.entries(entry)
    .filter(([key, value]) => !SHOWN.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  if (details.length > 0) parts.push(details.join(' '));
  const requestId = entry.requestId ?? entry.reqId;
  if (typeof requestId === 'string') parts.push(`[${requestId}]`);
  return `${time} ${level} ${parts.filter((p) => p !== '').join('  ')}`;
}

/** A notification that no channel delivers: what happened, to whom, and where to open it. */
function notice(entry: Record<string, unknown>): string {
  const recipient = entry.recipient as { email?: unknown; humanId?: unknown } | undefined;
  const to = String(recipient?.email ?? recipient?.humanId ?? 'someone');
  const subject = entry.subject as { id?: unknown } | undefined;
  const link = typeof entry.link === 'string' ? entry.link : undefined;
  const ref = link ?? (typeof subject?.id === 'string' ? subject.id : undefined);
  return `notice for ${to}: ${entry.summary as string}${ref ? `  → ${ref}` : ''}`;
}

/** Local wall-clock time: a person at the terminal compares it with their own clock. */
function clock(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}
