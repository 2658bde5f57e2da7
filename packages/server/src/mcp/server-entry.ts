import { isAbsolute, resolve } from 'node:path';
import { invalidField } from '../errors.js';
import { refusePrivateHost } from '../net/public-network.js';
import type { ConfiguredValue, SecretRef } from '../secrets/configured-value.js';
import {
  type ConfiguredRoot,
  checkAllow,
  checkRoots,
  type UpstreamRequestKind,
} from './upstream-requests.js';

export type { ConfiguredValue, SecretRef } from '../secrets/configured-value.js';

interface EntryBase {
  /** The tool-name prefix: upstream tool `create_issue` of server `github` is `github.create_issue`. */
  readonly name: string;
  /** Per upstream call (tools/call, resources/read, prompts/get, list refreshes). */
  readonly timeoutMs: number;
  /** The cost estimate (USD) per tool that feeds budgets, by upstream tool name. */
  readonly estimates: Readonly<Record<string, number>>;
  /** What the upstream may ask of Warden during a call; anything else it asks is refused. */
  readonly allow: readonly UpstreamRequestKind[];
  /** What Warden answers `roots/list` with (only with `allow` including `roots`). */
  readonly roots: readonly ConfiguredRoot[];
}

export interface StdioEntry extends EntryBase {
  readonly transport: 'stdio';
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, ConfiguredValue>>;
  readonly cwd?: string;
}

export interface HttpEntry extends EntryBase {
  readonly transport: 'http';
  readonly url: string;
  readonly headers: Readonly<Record<string, ConfiguredValue>>;
  /** Added through the API on a node that keeps such upstreams off private networks (public-network.ts). */
  readonly publicOnly?: true;
}

export type ServerEntry = StdioEntry | HttpEntry;

export const DEFAULT_TIMEOUT_MS = 60_000;
/** A server name is one segment of a tool name, so it never contains the `.` that separates them. */
const SERVER_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/;
const MAX_ARGS = 100;
const MAX_MAP = 100;
const MAX_TEXT = 4_096;

const KEYS = {
  stdio: new Set([
    'name',
    'transport',
    'command',
    'args',
    'env',
    'cwd',
    'timeoutSeconds',
    'tools',
    'allow',
    'roots',
  ]),
  http: new Set(['name', 'transport', 'url', 'headers', 'timeoutSeconds', 'tools', 'allow', 'roots']),
};

export interface EntryOptions {
  /** Relative paths (`cwd`, `fromFile`) are taken from this folder (the servers file's). */
  readonly baseDir?: string;
  /** Set for an entry given through the admin API, which a tenant's admin, not the operator, writes. */
  readonly api?: ApiEntryRules;
}

/**
 * What an entry given through the API may hold. Secrets come as `{secret: value}` and are sealed at
 * once; `fromEnv` and `fromFile` are refused, since they would let a tenant's admin read the node's
 * environment and files into a header sent wherever they like; a stdio command must be one the
 * operator allows (WARDEN_MCP_API_COMMANDS).
 */
export interface ApiEntryRules {
  readonly commands: readonly string[];
  /** Whether an http server must be on a public network (WARDEN_API_UPSTREAM_NETWORKS=public). */
  readonly publicOnly: boolean;
  /** Seals a secret given for `field` (`env.TOKEN`, `headers.Authorization`) of server `server`. */
  seal(value: string, server: string, field: string): string;
  /** Whether `box` is what is stored at `field` already: an update keeps the secrets it does not change. */
  isStored(field: string, box: string): boolean;
}

/**
 * Checks one entry of the servers file or the admin API; a mistake names the field (`servers[2].url`).
 * Paths (`cwd`, `fromFile`) are absolute, or relative to the servers file's folder.
 */
export function checkServerEntry(input: unknown, at: string, options: EntryOptions = {}): ServerEntry {
  const { baseDir, api } = options;
  const path = (value: string, where: string) => {
    if (isAbsolute(value)) return value;
    if (baseDir) return resolve(baseDir, value);
    throw invalidField(where, 'must be an absolute path');
  };
  const entry = mapping(input, at);
  const field = (name: string) => `${at}.${name}`;
  const transport = entry.transport;
  if (transport !== 'stdio' && transport !== 'http') {
    throw invalidField(field('transport'), 'must be stdio or http');
  }
  for (const key of Object.keys(entry)) {
    if (!KEYS[transport].has(key)) {
      throw invalidField(
        field(key),
        `unknown key for a ${transport} server (expected ${[...KEYS[transport]].join(', ')})`,
      );
    }
  }
  const name = entry.name;
  if (typeof name !== 'string' || !SERVER_NAME.test(name)) {
    throw invalidField(
      field('name'),
      'must be 1-40 lower-case letters, digits, dashes or underscores, starting with a letter or digit (no dots: it prefixes tool names)',
    );
  }
  const timeoutMs = timeout(entry.timeoutSeconds, field('timeoutSeconds'));
  const estimates = toolEstimates(entry.tools, field('tools'));
  const allow = checkAllow(entry.allow, field('allow'));
  const roots = checkRoots(entry.roots, field('roots'), allow);
  if (transport === 'stdio') {
    const command = text(entry.command, field('command'));
    if (api && !api.commands.includes(command)) {
      throw invalidField(
        field('command'),
        api.commands.length === 0
          ? 'stdio servers cannot be added through the API unless the operator lists their commands in WARDEN_MCP_API_COMMANDS (none are listed); use the servers file, or an http server'
          : `must be one of the commands the operator allows in WARDEN_MCP_API_COMMANDS: ${api.commands.join(', ')}`,
      );
    }
    const args = entry.args === undefined ? [] : list(entry.args, field('args'));
    const values = valuesReader(name, path, api);
    const env =
      entry.env === undefined
        ? {}
        : values(entry.env, field('env'), 'env', ENV_NAME, 'an environment variable name');
    let cwd: string | undefined;
    if (entry.cwd !== undefined) {
      cwd = path(text(entry.cwd, field('cwd')), field('cwd'));
    }
    return {
      name,
      transport,
      command,
      args,
      env,
      ...(cwd ? { cwd } : {}),
      timeoutMs,
      estimates,
      allow,
      roots,
    };
  }
  const url = text(entry.url, field('url'));
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidField(field('url'), 'must be an absolute http(s) URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalidField(field('url'), 'must be an http or https URL');
  }
  if (parsed.username || parsed.password) {
    throw invalidField(
      field('url'),
      'must not carry credentials: put them in headers, from the environment or a file',
    );
  }
  const publicOnly = api?.publicOnly === true;
  if (publicOnly) refusePrivateHost(url, field('url'), 'servers');
  const values = valuesReader(name, path, api);
  const headers =
    entry.headers === undefined
      ? {}
      : values(entry.headers, field('headers'), 'headers', HEADER_NAME, 'an HTTP header name');
  return {
    name,
    transport,
    url,
    headers,
    timeoutMs,
    estimates,
    allow,
    roots,
    ...(publicOnly ? { publicOnly: true as const } : {}),
  };
}

function mapping(value: unknown, at: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidField(at, 'must be a mapping');
  return value as Record<string, unknown>;
}

function text(value: unknown, at: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TEXT) {
    throw invalidField(at, `must be a non-empty string of at most ${MAX_TEXT} characters`);
  }
  if (value.includes('\u0000')) throw invalidField(at, 'must not contain NUL characters');
  return value;
}

function list(value: unknown, at: string): string[] {
  if (!Array.isArray(value)) throw invalidField(at, 'must be a list of strings');
  if (value.length > MAX_ARGS) throw invalidField(at, `must have at most ${MAX_ARGS} entries`);
  return value.map((item, i) => {
    if (typeof item !== 'string' || item.length > MAX_TEXT || item.includes('\u0000')) {
      throw invalidField(`${at}[${i}]`, `must be a string of at most ${MAX_TEXT} characters`);
    }
    return item;
  });
}

function timeout(value: unknown, at: string): number {
  if (value === undefined) return DEFAULT_TIMEOUT_MS;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1 || value > 3_600) {
    throw invalidField(at, 'must be a number of seconds from 1 to 3600');
  }
  return Math.round(value * 1_000);
}

function toolEstimates(value: unknown, at: string): Record<string, number> {
  if (value === undefined) return {};
  const tools = mapping(value, at);
  const estimates: Record<string, number> = {};
  for (const [tool, spec] of Object.entries(tools)) {
    const settings = mapping(spec, `${at}.${tool}`);
    for (const key of Object.keys(settings)) {
      if (key !== 'estimateUsd')
        throw invalidField(`${at}.${tool}.${key}`, 'unknown key (expected estimateUsd)');
    }
    const estimate = settings.estimateUsd;
    if (typeof estimate !== 'number' || !Number.isFinite(estimate) || estimate < 0 || estimate > 1_000_000) {
      throw invalidField(`${at}.${tool}.estimateUsd`, 'must be a number of USD from 0 to 1000000');
    }
    estimates[tool] = estimate;
  }
  return estimates;
}

/**
 * Reads an env or headers mapping: plain strings, and secrets as the entry's origin allows them —
 * `fromEnv`/`fromFile` references in the servers file, `{secret}` (sealed here) through the API.
 */
function valuesReader(
  server: string,
  path: (value: string, where: string) => string,
  api: ApiEntryRules | undefined,
) {
  return (
    value: unknown,
    at: string,
    kind: 'env' | 'headers',
    names: RegExp,
    what: string,
  ): Record<string, ConfiguredValue> => {
    const entries = Object.entries(mapping(value, at));
    if (entries.length > MAX_MAP) throw invalidField(at, `must have at most ${MAX_MAP} entries`);
    const out: Record<string, ConfiguredValue> = {};
    for (const [key, item] of entries) {
      const where = `${at}.${key}`;
      if (!names.test(key)) throw invalidField(where, `is not ${what}`);
      if (typeof item === 'string') {
        out[key] = text(item, where);
        continue;
      }
      const ref = mapping(item, where);
      const keys = Object.keys(ref);
      if (api) {
        out[key] = apiSecret(ref, keys, where, server, `${kind}.${key}`, api);
      } else if (keys.length !== 1 || (keys[0] !== 'fromEnv' && keys[0] !== 'fromFile')) {
        throw invalidField(where, 'must be a string, or a mapping with exactly one of fromEnv, fromFile');
      } else if (ref.fromEnv !== undefined) {
        const name = ref.fromEnv;
        if (typeof name !== 'string' || !ENV_NAME.test(name)) {
          throw invalidField(`${where}.fromEnv`, 'must be an environment variable name');
        }
        out[key] = { fromEnv: name };
      } else {
        out[key] = { fromFile: path(text(ref.fromFile, `${where}.fromFile`), `${where}.fromFile`) };
      }
    }
    return out;
  };
}

function apiSecret(
  ref: Record<string, unknown>,
  keys: readonly string[],
  where: string,
  server: string,
  field: string,
  api: ApiEntryRules,
): SecretRef {
  if (keys.length === 1 && keys[0] === 'secret') {
    return { sealed: api.seal(text(ref.secret, `${where}.secret`), server, field) };
  }
  if (
    keys.length === 1 &&
    keys[0] === 'sealed' &&
    typeof ref.sealed === 'string' &&
    api.isStored(field, ref.sealed)
  ) {
    return { sealed: ref.sealed };
  }
  if (keys.includes('fromEnv') || keys.includes('fromFile')) {
    throw invalidField(
      where,
      "fromEnv and fromFile belong in the servers file (they read the node's environment and files); through the API give {secret: value}, stored encrypted",
    );
  }
  throw invalidField(where, 'must be a string, or {secret: value} (stored encrypted, never shown again)');
}
