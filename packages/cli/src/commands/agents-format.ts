import { type ApiClient, isRecord, RequestFailed } from '../http-client.js';
import { type CliIo, paint } from '../io.js';
import type { CheckedCommand } from './subcommand.js';

/** What a `warden agents` subcommand runs once its arguments are checked and the connection is known. */
export type Execute = (api: ApiClient, io: CliIo, json: boolean) => Promise<number>;

export type AgentsCommand = CheckedCommand<ApiClient>;

export type Json = Record<string, unknown>;

/** The part of a response a command prints; anything else means --url is not the API we expect. */
export function objectField(body: unknown, key: string): Json {
  const value = isRecord(body) ? body[key] : undefined;
  if (!isRecord(value))
    throw new RequestFailed(`error: unexpected response from the server: no "${key}" object`);
  return value;
}

export function arrayField(body: unknown, key: string): Json[] {
  const value = isRecord(body) ? body[key] : undefined;
  if (!Array.isArray(value))
    throw new RequestFailed(`error: unexpected response from the server: no "${key}" list`);
  return value.filter(isRecord);
}

export function printJson(io: CliIo, body: unknown): void {
  io.out(`${JSON.stringify(body ?? {}, null, 2)}\n`);
}

/** One value as a person reads it: lists comma-separated, labels as k=v, nothing as "-". */
export function text(value: unknown, empty = '-'): string {
  if (value === null || value === undefined || value === '') return empty;
  if (Array.isArray(value)) return value.length === 0 ? empty : value.map((item) => text(item)).join(', ');
  if (isRecord(value)) {
    const entries = Object.entries(value);
    return entries.length === 0 ? empty : entries.map(([k, v]) => `${k}=${text(v, '')}`).join(', ');
  }
  return String(value);
}

const AGENT_LINES: readonly (readonly [string, (agent: Json) => string])[] = [
  ['id', (a) => text(a.id)],
  ['name', (a) => text(a.name)],
  ['status', (a) => text(a.status)],
  ['owner', (a) => text(a.ownerId)],
  ['purpose', (a) => text(a.purpose)],
  ['risk', (a) => (a.riskLevel ? `${text(a.risk)} (${text(a.riskLevel)} risk)` : text(a.risk))],
  ['environments', (a) => text(a.environments)],
  ['tier', (a) => text(a.tier)],
  ['roles', (a) => text(a.roles, 'none')],
  ['labels', (a) => text(a.labels, 'none')],
  ['parent', (a) => text(a.parentId)],
  ['max children', (a) => text(a.maxChildren)],
  ['recertify at', (a) => text(a.recertifyAt)],
  ['created at', (a) => text(a.createdAt)],
  ['updated at', (a) => text(a.updatedAt)],
  ['last active', (a) => text(a.lastActiveAt, 'never')],
  ['breaker', (a) => breakerLine(a.breaker)],
];

/** An open circuit breaker says since when and why; a closed one says so. */
function breakerLine(breaker: unknown): string {
  if (!breaker || typeof breaker !== 'object') return 'closed';
  const open = breaker as { trippedAt?: unknown; reason?: unknown };
  return `open since ${text(open.trippedAt)}: ${text(open.reason)}`;
}

export function keyValues(lines: readonly (readonly [string, string])[]): string {
  const width = Math.max(...lines.map(([key]) => key.length)) + 2;
  return lines.map(([key, value]) => `${`${key}:`.padEnd(width)}${value}\n`).join('');
}

export function agentLines(agent: Json, extra: readonly (readonly [string, string])[] = []): string {
  return keyValues([...AGENT_LINES.map(([key, format]) => [key, format(agent)] as const), ...extra]);
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(io: CliIo, headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${paint(io, 'bold', line(headers))}\n${rows.map((row) => `${line(row)}\n`).join('')}`;
}

/** The secret of a new key, with the warning that it cannot be fetched again. */
export function secretLines(io: CliIo, key: Json, secret: unknown): string {
  const lines = keyValues([
    ['key', text(key.id)],
    ['hint', text(key.hint)],
    ['expires at', text(key.expiresAt, 'never')],
    ['secret', text(secret)],
  ]);
  return `${lines}${paint(io, 'yellow', 'This secret is shown once: store it now (e.g. in your secret manager). It cannot be retrieved later; if it is lost, rotate the key.')}\n`;
}
