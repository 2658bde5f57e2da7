import { isRecord } from '../http-client.js';
import { type CliIo, paint } from '../io.js';
import { type Json, keyValues, table, text } from './agents-format.js';

/** How `GET /v1/mcp/servers` and the write routes show a server, as a person reads it. */

export const SERVER_HEADERS = ['NAME', 'TRANSPORT', 'SOURCE', 'TARGET', 'STATE', 'RESTARTS'] as const;

const MAX_TARGET = 70;
const MAX_DESCRIPTION = 100;

export function serverRow(server: Json): string[] {
  const status = isRecord(server.status) ? server.status : {};
  return [
    text(server.name),
    text(server.transport),
    text(server.source),
    cut(target(server), MAX_TARGET),
    text(status.state),
    text(status.restarts),
  ];
}

/** The servers whose supervision recorded an error, one line each, for under the table. */
export function lastErrors(io: CliIo, servers: readonly Json[]): string {
  const lines = servers.flatMap((server) => {
    const status = isRecord(server.status) ? server.status : {};
    return typeof status.lastError === 'string' && status.lastError !== ''
      ? [`  ${text(server.name)}: ${firstLine(status.lastError)}\n`]
      : [];
  });
  return lines.length === 0 ? '' : `\n${paint(io, 'dim', 'last errors:')}\n${lines.join('')}`;
}

/** A url, or the command and its arguments as one would type them. */
function target(server: Json): string {
  if (typeof server.url === 'string') return server.url;
  const args = Array.isArray(server.args) ? server.args.map(String) : [];
  return [text(server.command), ...args].map(shellWord).join(' ');
}

function shellWord(word: string): string {
  return word !== '' && /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

export function serverLines(server: Json): string {
  const lines: [string, string][] = [
    ['name', text(server.name)],
    ['transport', text(server.transport)],
  ];
  // A removed server is answered as it was configured: no source, no status.
  if (server.source !== undefined) lines.push(['source', text(server.source)]);
  if (server.transport === 'http') {
    lines.push(['url', text(server.url)], ['headers', shownValues(server.headers)]);
  } else {
    lines.push(['command', target(server)]);
    if (server.cwd !== undefined) lines.push(['cwd', text(server.cwd)]);
    lines.push(['env', shownValues(server.env)]);
  }
  lines.push(
    ['timeout', server.timeoutSeconds === undefined ? '-' : `${text(server.timeoutSeconds)}s`],
    ['estimates', estimates(server.estimates)],
  );
  if (isRecord(server.status)) {
    const { state, restarts, lastError } = server.status;
    lines.push(['state', `${text(state)}, ${text(restarts, '0')} restarts`]);
    if (typeof lastError === 'string' && lastError !== '') lines.push(['last error', firstLine(lastError)]);
  }
  return keyValues(lines);
}

/**
 * Env or header values as the server shows them: `(plain value)`, `(stored secret)`, or where a
 * secret is read from (`fromEnv X`, `fromFile /path`). Never a value: the server sends none.
 */
function shownValues(values: unknown): string {
  if (!isRecord(values) || Object.keys(values).length === 0) return 'none';
  return Object.entries(values)
    .map(([key, value]) => {
      if (isRecord(value)) {
        if (typeof value.fromEnv === 'string') return `${key}=fromEnv ${value.fromEnv}`;
        if (typeof value.fromFile === 'string') return `${key}=fromFile ${value.fromFile}`;
      }
      return `${key}=${text(value)}`;
    })
    .join(', ');
}

function estimates(values: unknown): string {
  if (!isRecord(values) || Object.keys(values).length === 0) return 'none';
  return Object.entries(values)
    .map(([tool, usd]) => `${tool}=$${text(usd)}`)
    .join(', ');
}

export function toolsTable(io: CliIo, tools: readonly Json[]): string {
  return table(
    io,
    ['TOOL', 'DESCRIPTION'],
    tools.map((tool) => [
      text(tool.name),
      typeof tool.description === 'string' ? cut(firstLine(tool.description), MAX_DESCRIPTION) : '',
    ]),
  );
}

function firstLine(value: string): string {
  return value.trim().split(/\r?\n/, 1)[0] ?? '';
}

function cut(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}
