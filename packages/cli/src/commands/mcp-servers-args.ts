import { readFileSync } from 'node:fs';
import { extname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type ApiClient, isRecord } from '../http-client.js';
import { UsageError } from '../io.js';
import { stringOf, stringsOf, type Values } from './agents-args.js';
import type { CheckedCommand } from './subcommand.js';

/**
 * Local checks of `warden mcp servers` arguments: the server's own rules for an entry (names, URL,
 * ranges), so a typo is a usage error (exit 2) naming the flag, and nothing is sent. Secret values
 * are read from the CLI's environment here, never from argv.
 */

export type ServersCommand = CheckedCommand<ApiClient>;

/** What the commands read besides their arguments: the CLI's environment and working directory. */
export interface Surroundings {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** The server's rules (packages/server/src/mcp/server-entry.ts). */
const SERVER_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/;
const NUMBER = /^(\d+(\.\d*)?|\.\d+)$/;
const MAX_TEXT = 4_096;
const MAX_ARGS = 100;
const MAX_MAP = 100;
const MAX_TIMEOUT_SECONDS = 3_600;
const MAX_ESTIMATE_USD = 1_000_000;

/** The flags that make up an entry, shared by `add` and `update`. */
export const ENTRY_OPTIONS = {
  'upstream-url': { type: 'string' },
  command: { type: 'string' },
  arg: { type: 'string', multiple: true },
  env: { type: 'string', multiple: true },
  header: { type: 'string', multiple: true },
  'secret-env': { type: 'string', multiple: true },
  'secret-header': { type: 'string', multiple: true },
  cwd: { type: 'string' },
  timeout: { type: 'string' },
  estimate: { type: 'string', multiple: true },
  file: { type: 'string' },
} as const;

export const UPDATE_OPTIONS = {
  ...ENTRY_OPTIONS,
  'unset-env': { type: 'string', multiple: true },
  'unset-header': { type: 'string', multiple: true },
} as const;

/** Flags only a stdio server has, and only an http server has. */
const STDIO_FLAGS = ['command', 'arg', 'env', 'secret-env', 'cwd', 'unset-env'] as const;
const HTTP_FLAGS = ['upstream-url', 'header', 'secret-header', 'unset-header'] as const;
const SHARED_FLAGS = ['timeout', 'estimate'] as const;

/** The server name, the first positional argument. */
export function serverNameArgument(positionals: readonly string[], command: string): string {
  const name = positionals[0];
  if (name === undefined) throw new UsageError(`${command}: missing the server name`);
  return checkServerName(name);
}

export function checkServerName(name: string, where = 'server name'): string {
  if (!SERVER_NAME.test(name))
    throw new UsageError(
      `${where}: expected 1-40 lower-case letters, digits, "-" or "_", starting with a letter or digit (no dots: it prefixes tool names), got "${name}"`,
    );
  return name;
}

function given(values: Values, flag: string): boolean {
  const value = values[flag];
  return Array.isArray(value) ? value.length > 0 : value !== undefined;
}

/** `POST /v1/mcp/servers`: the entry from the flags, or from `--file`. */
export function addBody(values: Values, name: string, around: Surroundings): Record<string, unknown> {
  const command = 'mcp servers add';
  const file = stringOf(values, 'file');
  if (file !== undefined) {
    refuseBesidesFile(values, Object.keys(ENTRY_OPTIONS), command);
    const entry = readEntryFile(file, around.cwd);
    const named = entry.name;
    if (named !== undefined && named !== name)
      throw new UsageError(`--file ${file}: its name is "${String(named)}", not "${name}"`);
    return { ...entry, name };
  }
  const url = stringOf(values, 'upstream-url');
  const cmd = stringOf(values, 'command');
  if (url === undefined && cmd === undefined)
    throw new UsageError(
      `${command}: give --upstream-url <url> (an http server) or --command <cmd> (a stdio server), or --file <entry>` +
        (stringOf(values, 'url') !== undefined ? ' (--url is the Warden server)' : ''),
    );
  if (url !== undefined && cmd !== undefined)
    throw new UsageError(
      `${command}: give --upstream-url or --command, not both (a server has one transport)`,
    );
  const transport = url !== undefined ? 'http' : 'stdio';
  refuseOtherTransport(values, transport);
  const body: Record<string, unknown> = { name, transport, ...commonFields(values, around) };
  return body;
}

/** `PATCH /v1/mcp/servers/:name`: only the fields given; `--unset-env` and `--unset-header` as null. */
export function updateBody(values: Values, name: string, around: Surroundings): Record<string, unknown> {
  const command = 'mcp servers update';
  const file = stringOf(values, 'file');
  if (file !== undefined) {
    refuseBesidesFile(values, Object.keys(UPDATE_OPTIONS), command);
    const { name: named, transport, ...fields } = readEntryFile(file, around.cwd);
    if (named !== undefined && named !== name)
      throw new UsageError(
        `--file ${file}: its name is "${String(named)}", not "${name}" (a server is not renamed)`,
      );
    if (transport !== undefined)
      throw new UsageError(
        `--file ${file}: transport cannot change; remove the server and add it again (or drop the key)`,
      );
    if (Object.keys(fields).length === 0) throw new UsageError(`--file ${file}: nothing to change`);
    return fields;
  }
  const url = stringOf(values, 'upstream-url');
  const cmd = stringOf(values, 'command');
  if (url !== undefined && cmd !== undefined)
    throw new UsageError(
      `${command}: give --upstream-url or --command, not both (a server has one transport)`,
    );
  const stdio = STDIO_FLAGS.find((flag) => given(values, flag));
  const http = HTTP_FLAGS.find((flag) => given(values, flag));
  if (stdio !== undefined && http !== undefined)
    throw new UsageError(
      `--${http}: applies to http servers, --${stdio} to stdio servers; one server has only one of them`,
    );
  const body = commonFields(values, around);
  const unsetEnv = stringsOf(values, 'unset-env').map((key) => checkKey('--unset-env', key, 'env'));
  const unsetHeaders = stringsOf(values, 'unset-header').map((key) =>
    checkKey('--unset-header', key, 'header'),
  );
  if (unsetEnv.length > 0) body.env = withRemoved('env', body.env, unsetEnv, '--unset-env');
  if (unsetHeaders.length > 0)
    body.headers = withRemoved('header', body.headers, unsetHeaders, '--unset-header');
  if (Object.keys(body).length === 0)
    throw new UsageError(
      `${command}: nothing to change; give at least one of ${[
        ...STDIO_FLAGS,
        ...HTTP_FLAGS,
        ...SHARED_FLAGS,
        'file',
      ]
        .map((flag) => `--${flag}`)
        .join(', ')}`,
    );
  return body;
}

function refuseBesidesFile(values: Values, flags: readonly string[], command: string): void {
  const other = flags.find((flag) => flag !== 'file' && given(values, flag));
  if (other !== undefined)
    throw new UsageError(`${command}: --file holds the whole entry; give it without --${other}`);
}

function refuseOtherTransport(values: Values, transport: 'stdio' | 'http'): void {
  const foreign = transport === 'http' ? STDIO_FLAGS : HTTP_FLAGS;
  const flag = foreign.find((name) => given(values, name));
  if (flag === undefined) return;
  throw new UsageError(
    transport === 'http'
      ? `--${flag}: applies to stdio servers (--command) only, not with --upstream-url`
      : `--${flag}: applies to http servers (--upstream-url) only, not with --command`,
  );
}

/** The fields both commands take from flags; only those given. */
function commonFields(values: Values, around: Surroundings): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const url = stringOf(values, 'upstream-url');
  if (url !== undefined) body.url = checkUpstreamUrl(url);
  const cmd = stringOf(values, 'command');
  if (cmd !== undefined) body.command = checkText('--command', cmd);
  const args = stringsOf(values, 'arg');
  if (args.length > MAX_ARGS) throw new UsageError(`--arg: at most ${MAX_ARGS}, got ${args.length}`);
  if (args.length > 0) body.args = args.map((arg) => checkArg(arg));
  const env = keyedValues('env', values, around.env);
  if (env !== undefined) body.env = env;
  const headers = keyedValues('header', values, around.env);
  if (headers !== undefined) body.headers = headers;
  const cwd = stringOf(values, 'cwd');
  if (cwd !== undefined) body.cwd = checkCwd(cwd);
  const timeout = stringOf(values, 'timeout');
  if (timeout !== undefined) body.timeoutSeconds = checkTimeout(timeout);
  const estimates = stringsOf(values, 'estimate');
  if (estimates.length > 0) body.tools = checkEstimates(estimates);
  return body;
}

function checkText(flag: string, value: string): string {
  if (value.trim() === '') throw new UsageError(`${flag}: must not be empty`);
  if (value.length > MAX_TEXT) throw new UsageError(`${flag}: at most ${MAX_TEXT} characters`);
  if (value.includes('\u0000')) throw new UsageError(`${flag}: must not contain NUL characters`);
  return value;
}

function checkArg(value: string): string {
  if (value.length > MAX_TEXT) throw new UsageError(`--arg: at most ${MAX_TEXT} characters`);
  if (value.includes('\u0000')) throw new UsageError('--arg: must not contain NUL characters');
  return value;
}

export function checkUpstreamUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--upstream-url: expected an absolute http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--upstream-url: expected an http or https URL, got "${value}"`);
  if (url.username || url.password)
    throw new UsageError(
      '--upstream-url: must not carry credentials; send them as a header (--secret-header Authorization=VAR)',
    );
  return checkText('--upstream-url', value);
}

/** A directory on the Warden server's machine, so it cannot be resolved here. */
function checkCwd(value: string): string {
  checkText('--cwd', value);
  if (!isAbsolute(value))
    throw new UsageError(
      `--cwd: expected an absolute path (a directory on the Warden server's machine), got "${value}"`,
    );
  return value;
}

function checkTimeout(value: string): number {
  const seconds = NUMBER.test(value) ? Number(value) : Number.NaN;
  if (!(seconds >= 1 && seconds <= MAX_TIMEOUT_SECONDS))
    throw new UsageError(
      `--timeout: expected a number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}, got "${value}"`,
    );
  return seconds;
}

function checkEstimates(values: readonly string[]): Record<string, { estimateUsd: number }> {
  const tools: Record<string, { estimateUsd: number }> = {};
  for (const value of values) {
    const at = value.lastIndexOf('=');
    const tool = value.slice(0, at);
    const amount = value.slice(at + 1);
    if (at <= 0 || tool.trim() === '')
      throw new UsageError(
        `--estimate: expected <tool>=<usd> (the upstream tool's name, e.g. create_issue=0.01), got "${value}"`,
      );
    const usd = NUMBER.test(amount) ? Number(amount) : Number.NaN;
    if (!(usd >= 0 && usd <= MAX_ESTIMATE_USD))
      throw new UsageError(
        `--estimate ${tool}: expected a number of USD from 0 to ${MAX_ESTIMATE_USD}, got "${amount}"`,
      );
    if (Object.hasOwn(tools, tool)) throw new UsageError(`--estimate: "${tool}" is given twice`);
    tools[tool] = { estimateUsd: usd };
  }
  return tools;
}

type Kind = 'env' | 'header';

function checkKey(flag: string, key: string, kind: Kind): string {
  const ok = kind === 'env' ? ENV_NAME.test(key) : HEADER_NAME.test(key);
  if (!ok)
    throw new UsageError(
      `${flag}: "${key}" is not ${kind === 'env' ? 'an environment variable name' : 'an HTTP header name'}`,
    );
  return key;
}

/** Headers are one per name whatever the case; environment variables are case-sensitive. */
function sameKey(kind: Kind, a: string, b: string): boolean {
  return kind === 'header' ? a.toLowerCase() === b.toLowerCase() : a === b;
}

/**
 * `--env K=V` and `--secret-env K[=VAR]` (or the header pair) as one map: a plain value as the string,
 * a secret as `{secret}` read from the CLI's environment variable VAR. Undefined when none was given.
 */
function keyedValues(
  kind: Kind,
  values: Values,
  env: Surroundings['env'],
): Record<string, string | { secret: string }> | undefined {
  const plainFlag = `--${kind}`;
  const secretFlag = `--secret-${kind}`;
  const out: Record<string, string | { secret: string }> = {};
  const flagOf: Record<string, string> = {};
  const add = (flag: string, key: string, value: string | { secret: string }) => {
    const before = Object.keys(out).find((k) => sameKey(kind, k, key));
    if (before !== undefined)
      throw new UsageError(
        `${flag}: "${key}" is given twice${flagOf[before] === flag ? '' : ` (also by ${flagOf[before]})`}`,
      );
    out[key] = value;
    flagOf[key] = flag;
  };
  for (const item of stringsOf(values, kind)) {
    const at = item.indexOf('=');
    if (at <= 0) throw new UsageError(`${plainFlag}: expected NAME=value, got "${item}"`);
    const key = checkKey(plainFlag, item.slice(0, at), kind);
    const value = item.slice(at + 1);
    if (value === '') throw new UsageError(`${plainFlag} ${key}: the value must not be empty`);
    checkText(`${plainFlag} ${key}`, value);
    add(plainFlag, key, value);
  }
  for (const item of stringsOf(values, `secret-${kind}`)) {
    const at = item.indexOf('=');
    if (at === 0 || (kind === 'header' && at < 0))
      throw new UsageError(
        kind === 'header'
          ? `${secretFlag}: expected NAME=VAR (VAR: the environment variable holding the value), got "${item}"`
          : `${secretFlag}: expected NAME or NAME=VAR (VAR: the environment variable holding the value), got "${item}"`,
      );
    const key = checkKey(secretFlag, at < 0 ? item : item.slice(0, at), kind);
    const variable = at < 0 ? key : item.slice(at + 1);
    if (!ENV_NAME.test(variable))
      throw new UsageError(`${secretFlag} ${key}: "${variable}" is not an environment variable name`);
    const secret = env[variable];
    if (secret === undefined)
      throw new UsageError(
        `${secretFlag} ${key}: the environment variable ${variable} is not set (the secret is read from it, never from the command line)`,
      );
    if (secret === '')
      throw new UsageError(`${secretFlag} ${key}: the environment variable ${variable} is empty`);
    if (secret.length > MAX_TEXT || secret.includes('\u0000'))
      throw new UsageError(
        `${secretFlag} ${key}: the value of ${variable} must be at most ${MAX_TEXT} characters, without NUL`,
      );
    add(secretFlag, key, { secret });
  }
  const count = Object.keys(out).length;
  if (count > MAX_MAP)
    throw new UsageError(`${plainFlag}, ${secretFlag}: at most ${MAX_MAP} in all, got ${count}`);
  return count === 0 ? undefined : out;
}

/** The keys to remove (`null`) added to the keys set; one key both set and removed is a mistake. */
function withRemoved(
  kind: Kind,
  set: unknown,
  removed: readonly string[],
  flag: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = isRecord(set) ? { ...set } : {};
  for (const key of removed) {
    const clash = Object.keys(out).find((k) => sameKey(kind, k, key));
    if (clash !== undefined)
      throw new UsageError(
        out[clash] === null
          ? `${flag}: "${key}" is given twice`
          : `${flag}: "${key}" is also set; set it or remove it`,
      );
    out[key] = null;
  }
  return out;
}

/**
 * A whole entry from `--file`: JSON (`.json`) or YAML (`.yaml`, `.yml`), as in the servers file but
 * for one server, with secrets as `{"secret": "<value>"}`. The server checks its fields.
 */
/** A whole entry (or the fields of a patch) from a JSON or YAML file; a mistake is a usage error. */
export function readEntryFile(file: string, cwd: string, what = 'server entry'): Record<string, unknown> {
  const kind = extname(file).toLowerCase();
  if (kind !== '.json' && kind !== '.yaml' && kind !== '.yml')
    throw new UsageError(`--file: expected a .json, .yaml or .yml file, got "${file}"`);
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `--file ${file}: ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? (error as Error).message})`}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = kind === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new UsageError(
      `--file ${file}: not valid ${kind === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
    );
  }
  if (!isRecord(parsed))
    throw new UsageError(`--file ${file}: expected one ${what} (a mapping of its fields)`);
  return parsed;
}
