import type { ApiClient } from '../http-client.js';
import { type CliIo, EXIT, paint, UsageError } from '../io.js';
import { stringOf, stringsOf, type Values } from './agents-args.js';
import { arrayField, type Json, objectField, printJson, table, text } from './agents-format.js';
import { readEntryFile, type Surroundings } from './mcp-servers-args.js';
import type { CheckedCommand } from './subcommand.js';

type ProvidersCommand = CheckedCommand<ApiClient>;

/** The server's rules (packages/server/src/llm/provider-entry.ts). */
const PROVIDER_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const WHOLE = /^\d+$/;
const SHARE = /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/;

const ENTRY_OPTIONS = {
  kind: { type: 'string' },
  'base-url': { type: 'string' },
  'key-env': { type: 'string' },
  model: { type: 'string', multiple: true },
  alias: { type: 'string', multiple: true },
  shadow: { type: 'string', multiple: true },
  'default-max-tokens': { type: 'string' },
  timeout: { type: 'string' },
  file: { type: 'string' },
} as const;

const UPDATE_OPTIONS = {
  ...ENTRY_OPTIONS,
  'unset-alias': { type: 'string', multiple: true },
  'unset-shadow': { type: 'string', multiple: true },
} as const;

export const ENTRY_HELP = `  --kind <kind>               openai, anthropic or openai-compatible
  --base-url <url>            where requests go (required for openai-compatible)
  --key-env <VAR>             the provider's API key, read from the (exported) environment
                              variable VAR, never from the command line; stored encrypted
  --model <id>                a model agents may use (repeatable; the whole list on update)
  --alias <name>=<model>      a name agents may use for a model (repeatable)
  --shadow <model>=<shadow>,<share>,<budget>
                              shadow mode: a share (0 to 1) of <model>'s calls also sent to
                              <shadow>, charged to the budget named <budget> (repeatable)
  --default-max-tokens <n>    output tokens reserved when a request names no limit
  --timeout <seconds>         per call, 1 to 3600
`;

const FILE_HELP = `A --file entry is JSON (.json) or YAML (.yaml, .yml) with the fields of a providers file entry
(name, kind, baseUrl, models, aliases, prices, priceTable, defaultMaxTokens, timeoutSeconds,
shadows); flags given beside it override its fields. The key is never in the file: --key-env.
`;

function providerName(positionals: readonly string[], command: string): string {
  const name = positionals[0];
  if (name === undefined) throw new UsageError(`${command}: missing the provider name`);
  if (!PROVIDER_NAME.test(name))
    throw new UsageError(
      `provider name: expected 1-40 lower-case letters, digits, "-" or "_" (no dots: it is a segment of tool names), got "${name}"`,
    );
  return name;
}

function model(flag: string, value: string): string {
  if (!MODEL_ID.test(value)) throw new UsageError(`${flag}: "${value}" is not a model id`);
  return value;
}

function pairs(flag: string, values: readonly string[], check: (key: string, value: string) => unknown) {
  const out: Record<string, unknown> = {};
  for (const item of values) {
    const at = item.indexOf('=');
    if (at <= 0) throw new UsageError(`${flag}: expected <name>=<value>, got "${item}"`);
    const key = model(flag, item.slice(0, at));
    out[key] = check(key, item.slice(at + 1));
  }
  return out;
}

function shadowRule(_model: string, value: string): Record<string, unknown> {
  const [shadow, share, budget, ...rest] = value.split(',');
  if (!shadow || !share || !budget || rest.length > 0)
    throw new UsageError(`--shadow: expected <model>=<shadow>,<share>,<budget>, got "${value}"`);
  if (!SHARE.test(share)) throw new UsageError(`--shadow: the share must be from 0 to 1, got "${share}"`);
  return { model: model('--shadow', shadow), share: Number(share), budget };
}

function whole(flag: string, value: unknown, max: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  if (!WHOLE.test(value) || Number(value) < 1 || Number(value) > max)
    throw new UsageError(`${flag}: expected a whole number from 1 to ${max}, got "${value}"`);
  return Number(value);
}

/** The fields the flags (and `--file`) give; the key read from the environment, never argv. */
function fields(values: Values, around: Surroundings, what: string): Record<string, unknown> {
  const file = stringOf(values, 'file');
  const out: Record<string, unknown> = file ? readEntryFile(file, around.cwd, what) : {};
  if ('apiKey' in out) throw new UsageError(`--file ${file}: the key is never in a file; give --key-env`);
  const kind = stringOf(values, 'kind');
  if (kind !== undefined) {
    if (kind !== 'openai' && kind !== 'anthropic' && kind !== 'openai-compatible')
      throw new UsageError(`--kind: expected openai, anthropic or openai-compatible, got "${kind}"`);
    out.kind = kind;
  }
  const baseUrl = stringOf(values, 'base-url');
  if (baseUrl !== undefined) {
    if (!/^https?:\/\/[^\s]+$/.test(baseUrl)) throw new UsageError(`--base-url: expected an http(s) URL`);
    out.baseUrl = baseUrl;
  }
  const keyEnv = stringOf(values, 'key-env');
  if (keyEnv !== undefined) {
    if (!ENV_NAME.test(keyEnv))
      throw new UsageError(`--key-env: "${keyEnv}" is not an environment variable name`);
    const secret = around.env[keyEnv];
    if (!secret) throw new UsageError(`--key-env: the environment variable ${keyEnv} is not set (or empty)`);
    out.apiKey = { secret };
  }
  const models = stringsOf(values, 'model');
  if (models.length > 0) out.models = models.map((m) => model('--model', m));
  const aliases = stringsOf(values, 'alias');
  if (aliases.length > 0)
    out.aliases = {
      ...(out.aliases as object),
      ...pairs('--alias', aliases, (_k, v) => model('--alias', v)),
    };
  const shadows = stringsOf(values, 'shadow');
  if (shadows.length > 0)
    out.shadows = { ...(out.shadows as object), ...pairs('--shadow', shadows, shadowRule) };
  const maxTokens = whole('--default-max-tokens', values['default-max-tokens'], 10_000_000);
  if (maxTokens !== undefined) out.defaultMaxTokens = maxTokens;
  const timeout = whole('--timeout', values.timeout, 3_600);
  if (timeout !== undefined) out.timeoutSeconds = timeout;
  return out;
}

function printProvider(io: CliIo, json: boolean, response: unknown, done: string): number {
  if (json) {
    printJson(io, response);
    return EXIT.ok;
  }
  const p = objectField(response, 'provider');
  io.out(`${paint(io, 'green', done)} ${text(p.name)}\n${table(io, PROVIDER_HEADERS, [providerRow(p)])}`);
  return EXIT.ok;
}

const PROVIDER_HEADERS = ['NAME', 'KIND', 'SOURCE', 'BASE URL', 'MODELS', 'SHADOWS'];

function providerRow(p: Json): string[] {
  return [
    text(p.name),
    text(p.kind),
    text(p.source),
    text(p.baseUrl),
    Array.isArray(p.models) ? p.models.join(', ') : 'any priced',
    shadowsOf(p.shadows),
  ];
}

function shadowsOf(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '-';
  const rules = Object.entries(value as Record<string, Json>).map(
    ([name, rule]) =>
      `${name} -> ${text(rule.model)} (${Math.round(Number(rule.share) * 100)} %, budget ${text(rule.budget)})`,
  );
  return rules.length === 0 ? '-' : rules.join('; ');
}

export function providersList(): ProvidersCommand {
  return {
    help: `Usage: warden llm providers list

Lists the tenant's model providers (GET /v1/llm/providers; admin, security, auditor): each one's
kind, source (file: the providers file, api: added through the API), base URL, models and shadow
rules. Keys are never shown.
`,
    options: {},
    positionals: [],
    prepare() {
      return async (api, io, json) => {
        const response = await api.request('GET', '/v1/llm/providers');
        if (json) {
          printJson(io, response);
          return EXIT.ok;
        }
        const providers = arrayField(response, 'providers');
        io.out(
          providers.length === 0
            ? 'no LLM providers\n'
            : table(io, PROVIDER_HEADERS, providers.map(providerRow)),
        );
        return EXIT.ok;
      };
    },
  };
}

export function providersAdd(around: Surroundings): ProvidersCommand {
  return {
    help: `Usage: warden llm providers add <name> --kind <kind> --key-env <VAR> [options]
       warden llm providers add <name> --file <entry.json|entry.yaml> --key-env <VAR>

Adds a model provider to the tenant (POST /v1/llm/providers; admin or security). Its models are
decided as llm.<name>.<model>. The key is stored encrypted on the server and never shown again.

${ENTRY_HELP}  --file <entry>              the entry's fields from a file

${FILE_HELP}`,
    options: ENTRY_OPTIONS,
    positionals: ['name'],
    prepare(values, positionals) {
      const name = providerName(positionals, 'llm providers add');
      const given = fields(values, around, 'provider entry');
      if (given.name !== undefined && given.name !== name)
        throw new UsageError(`--file: its name is "${String(given.name)}", not "${name}"`);
      if (given.kind === undefined) throw new UsageError('llm providers add: --kind is required');
      if (given.apiKey === undefined) throw new UsageError('llm providers add: --key-env is required');
      const body = { ...given, name };
      return async (api, io, json) =>
        printProvider(io, json, await api.request('POST', '/v1/llm/providers', body), 'added LLM provider');
    },
  };
}

export function providersUpdate(around: Surroundings): ProvidersCommand {
  return {
    help: `Usage: warden llm providers update <name> [options]

Changes a provider added through the API (PATCH /v1/llm/providers/<name>; admin or security); only
the fields given. --model replaces the whole list; --alias and --shadow change only the models
given, --unset-alias and --unset-shadow remove one; --key-env rotates the key. Providers from the
providers file are refused (conflict).

${ENTRY_HELP}  --unset-alias <name>        remove an alias (repeatable)
  --unset-shadow <model>      end a model's shadow (repeatable)
  --file <fields>             the fields to change from a file
`,
    options: UPDATE_OPTIONS,
    positionals: ['name'],
    prepare(values, positionals) {
      const name = providerName(positionals, 'llm providers update');
      const { name: named, kind, ...body } = fields(values, around, 'provider patch');
      if (named !== undefined && named !== name)
        throw new UsageError(`--file: its name is "${String(named)}", not "${name}"`);
      if (kind !== undefined) throw new UsageError('llm providers update: the kind cannot change');
      const unset = (flag: string, key: string) => {
        const names = stringsOf(values, flag).map((m) => model(`--${flag}`, m));
        if (names.length > 0)
          body[key] = { ...(body[key] as object), ...Object.fromEntries(names.map((m) => [m, null])) };
      };
      unset('unset-alias', 'aliases');
      unset('unset-shadow', 'shadows');
      if (Object.keys(body).length === 0) throw new UsageError('llm providers update: nothing to change');
      return async (api, io, json) =>
        printProvider(
          io,
          json,
          await api.request('PATCH', `/v1/llm/providers/${name}`, body),
          'updated LLM provider',
        );
    },
  };
}

export function providersRemove(): ProvidersCommand {
  return {
    help: `Usage: warden llm providers remove <name>

Removes a provider added through the API (DELETE /v1/llm/providers/<name>; admin or security) and
prints it as it was; its models are no longer served. Providers from the providers file are refused
(conflict).
`,
    options: {},
    positionals: ['name'],
    prepare(_values, positionals) {
      const name = providerName(positionals, 'llm providers remove');
      return async (api, io, json) =>
        printProvider(
          io,
          json,
          await api.request('DELETE', `/v1/llm/providers/${name}`),
          'removed LLM provider',
        );
    },
  };
}
