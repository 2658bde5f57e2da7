import { invalidField } from '../errors.js';
import type { SealRules } from '../managed/managed-entries.js';
import { refusePrivateHost } from '../net/public-network.js';
import type { ConfiguredValue } from '../secrets/configured-value.js';
import type { PriceOverride } from './pricing/index.js';
import { checkShadows, type ShadowRule } from './shadow/shadow-rule.js';

/** The API shape a provider speaks: OpenAI's (also self-hosted and other vendors' OpenAI-compatible ones) or Anthropic's. */
export type ProviderKind = 'openai' | 'anthropic' | 'openai-compatible';

export interface ProviderEntry {
  /** The second segment of the tool name: a call to model m of provider p is decided as `llm.p.m`. */
  readonly name: string;
  readonly kind: ProviderKind;
  /** Where requests go: for OpenAI shapes up to `/v1` (…/v1/chat/completions), for Anthropic the host (…/v1/messages). */
  readonly baseUrl: string;
  readonly apiKey: ConfiguredValue;
  /** The models agents may ask for; absent: any model the price table (or `prices`) knows. */
  readonly models?: readonly string[];
  /** Names agents may use for a model of this provider: `fast: gpt-4o-mini`. */
  readonly aliases: Readonly<Record<string, string>>;
  /** Operator prices by model id, over the price table's. */
  readonly prices: Readonly<Record<string, PriceOverride>>;
  /** For an openai-compatible provider: the price table's provider whose prices apply (`groq`, `mistral`). */
  readonly priceTable?: string;
  /** The output tokens reserved for a request that names no limit. */
  readonly defaultMaxTokens: number;
  readonly timeoutMs: number;
  /** Shadow models by this provider's model id: a share of its calls also sent to another model. */
  readonly shadows: Readonly<Record<string, ShadowRule>>;
  /** Added through the API on a node that keeps such upstreams off private networks (public-network.ts). */
  readonly publicOnly?: true;
}

const DEFAULT_BASE_URL: Readonly<Record<ProviderKind, string | undefined>> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  'openai-compatible': undefined,
};

/** A provider's name is one segment of a tool name, so it never contains the `.` that separates them. */
const PROVIDER_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;
/** Model ids as providers spell them (`gpt-4.1`, `claude-sonnet-4-5-20250929`, `llama3.1:8b`, `org/model`). */
export const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/;
const KEYS = new Set([
  'name',
  'kind',
  'baseUrl',
  'apiKey',
  'models',
  'aliases',
  'prices',
  'priceTable',
  'defaultMaxTokens',
  'timeoutSeconds',
  'shadows',
]);
const MAX_MODELS = 500;
export const DEFAULT_MAX_TOKENS = 4_096;
export const DEFAULT_LLM_TIMEOUT_MS = 600_000;

/** Checks one provider of the providers file; a mistake names the field (`providers[1].baseUrl`). */
/**
 * Checks one provider of the providers file, or of the admin API when `api` is given (its key as
 * `{secret: value}`, sealed at once; `fromEnv`/`fromFile` are the operator's, file only).
 */
export function checkProviderEntry(
  input: unknown,
  at: string,
  api?: SealRules & { readonly publicOnly: boolean },
): ProviderEntry {
  const entry = mapping(input, at);
  const field = (name: string) => `${at}.${name}`;
  for (const key of Object.keys(entry)) {
    if (!KEYS.has(key)) throw invalidField(field(key), `unknown key (expected ${[...KEYS].join(', ')})`);
  }
  const name = entry.name;
  if (typeof name !== 'string' || !PROVIDER_NAME.test(name)) {
    throw invalidField(
      field('name'),
      'must be 1-40 lower-case letters, digits, dashes or underscores (no dots: it is a segment of tool names)',
    );
  }
  const kind = entry.kind;
  if (kind !== 'openai' && kind !== 'anthropic' && kind !== 'openai-compatible') {
    throw invalidField(field('kind'), 'must be openai, anthropic or openai-compatible');
  }
  const baseUrl = url(entry.baseUrl ?? DEFAULT_BASE_URL[kind], field('baseUrl'));
  const publicOnly = api?.publicOnly === true;
  if (publicOnly) refusePrivateHost(baseUrl, field('baseUrl'), 'providers');
  const apiKey = api
    ? apiSecret(entry.apiKey, field('apiKey'), name, api)
    : secret(entry.apiKey, field('apiKey'));
  const models = entry.models === undefined ? undefined : modelList(entry.models, field('models'));
  const aliases = aliasMap(entry.aliases, field('aliases'), models);
  const prices = priceMap(entry.prices, field('prices'));
  let priceTable: string | undefined;
  if (entry.priceTable !== undefined) {
    if (kind !== 'openai-compatible')
      throw invalidField(
        field('priceTable'),
        'only for an openai-compatible provider (the others use their own)',
      );
    if (typeof entry.priceTable !== 'string' || !PROVIDER_NAME.test(entry.priceTable))
      throw invalidField(
        field('priceTable'),
        "must be the price table's id of a provider, e.g. groq, mistral, deepseek",
      );
    priceTable = entry.priceTable;
  }
  const defaultMaxTokens = whole(
    entry.defaultMaxTokens,
    field('defaultMaxTokens'),
    DEFAULT_MAX_TOKENS,
    1,
    10_000_000,
  );
  const timeoutSeconds = whole(
    entry.timeoutSeconds,
    field('timeoutSeconds'),
    DEFAULT_LLM_TIMEOUT_MS / 1_000,
    1,
    3_600,
  );
  const shadows = checkShadows(entry.shadows, field('shadows'), modelId);
  return {
    name,
    kind,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    apiKey,
    ...(models ? { models } : {}),
    aliases,
    prices,
    ...(priceTable ? { priceTable } : {}),
    defaultMaxTokens,
    timeoutMs: timeoutSeconds * 1_000,
    shadows,
    ...(publicOnly ? { publicOnly: true as const } : {}),
  };
}

function mapping(value: unknown, at: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidField(at, 'must be a mapping');
  return value as Record<string, unknown>;
}

function url(value: unknown, at: string): string {
  if (value === undefined) throw invalidField(at, 'is required for an openai-compatible provider');
  if (typeof value !== 'string') throw invalidField(at, 'must be an http(s) URL');
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw invalidField(at, 'must be an absolute http(s) URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw invalidField(at, 'must be an http or https URL');
  if (parsed.username || parsed.password)
    throw invalidField(at, 'must not carry credentials: give the key as apiKey');
  return value;
}

function secret(value: unknown, at: string): ConfiguredValue {
  const ref = value === undefined ? undefined : mapping(value, at);
  const keys = ref ? Object.keys(ref) : [];
  if (!ref || keys.length !== 1 || (keys[0] !== 'fromEnv' && keys[0] !== 'fromFile')) {
    throw invalidField(
      at,
      'must be a mapping with exactly one of fromEnv, fromFile (a key is never written in the file)',
    );
  }
  const source = ref[keys[0] as string];
  if (typeof source !== 'string' || source.length === 0 || source.length > 4_096)
    throw invalidField(`${at}.${keys[0]}`, 'must be a non-empty string');
  return keys[0] === 'fromEnv' ? { fromEnv: source } : { fromFile: source };
}

function apiSecret(value: unknown, at: string, owner: string, api: SealRules): ConfiguredValue {
  const ref = value === undefined ? undefined : mapping(value, at);
  const keys = ref ? Object.keys(ref) : [];
  if (ref && keys.length === 1 && keys[0] === 'secret') {
    const given = ref.secret;
    if (typeof given !== 'string' || given.length === 0 || given.length > 4_096)
      throw invalidField(`${at}.secret`, 'must be a non-empty string');
    return { sealed: api.seal(given, owner, 'apiKey') };
  }
  if (ref && keys.length === 1 && typeof ref.sealed === 'string' && api.isStored('apiKey', ref.sealed)) {
    return { sealed: ref.sealed };
  }
  if (keys.includes('fromEnv') || keys.includes('fromFile')) {
    throw invalidField(
      at,
      "fromEnv and fromFile belong in the providers file (they read the node's environment and files); through the API give {secret: value}",
    );
  }
  throw invalidField(at, 'must be {secret: value} (stored encrypted, never shown again)');
}

function modelList(value: unknown, at: string): string[] {
  if (!Array.isArray(value)) throw invalidField(at, 'must be a list of model ids');
  if (value.length > MAX_MODELS) throw invalidField(at, `must have at most ${MAX_MODELS} models`);
  return value.map((model, i) => modelId(model, `${at}[${i}]`));
}

function modelId(value: unknown, at: string): string {
  if (typeof value !== 'string' || !MODEL_ID.test(value))
    throw invalidField(at, 'must be a model id (letters, digits and . _ : / @ -, at most 128)');
  return value;
}

function aliasMap(value: unknown, at: string, models: readonly string[] | undefined): Record<string, string> {
  if (value === undefined) return {};
  const out: Record<string, string> = {};
  for (const [alias, target] of Object.entries(mapping(value, at))) {
    modelId(alias, `${at}.${alias}`);
    out[alias] = modelId(target, `${at}.${alias}`);
    if (models && !models.includes(out[alias] as string))
      throw invalidField(`${at}.${alias}`, `names ${out[alias]}, which is not in models`);
  }
  return out;
}

function priceMap(value: unknown, at: string): Record<string, PriceOverride> {
  if (value === undefined) return {};
  const out: Record<string, PriceOverride> = {};
  for (const [model, spec] of Object.entries(mapping(value, at))) {
    const where = `${at}.${model}`;
    modelId(model, where);
    const price = mapping(spec, where);
    const known = [
      'inputPerMTok',
      'outputPerMTok',
      'cacheReadPerMTok',
      'cacheWritePerMTok',
      'cacheWrite1hPerMTok',
    ];
    for (const key of Object.keys(price)) {
      if (!known.includes(key))
        throw invalidField(`${where}.${key}`, `unknown key (expected ${known.join(', ')})`);
    }
    const usd = (key: string, required: boolean) => {
      const amount = price[key];
      if (amount === undefined && !required) return undefined;
      if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0 || amount > 100_000)
        throw invalidField(`${where}.${key}`, 'must be USD per million tokens, from 0 to 100000');
      return amount;
    };
    const cacheRead = usd('cacheReadPerMTok', false);
    const cacheWrite = usd('cacheWritePerMTok', false);
    const cacheWrite1h = usd('cacheWrite1hPerMTok', false);
    out[model] = {
      inputPerMTok: usd('inputPerMTok', true) as number,
      outputPerMTok: usd('outputPerMTok', true) as number,
      ...(cacheRead !== undefined ? { cacheReadPerMTok: cacheRead } : {}),
      ...(cacheWrite !== undefined ? { cacheWritePerMTok: cacheWrite } : {}),
      ...(cacheWrite1h !== undefined ? { cacheWrite1hPerMTok: cacheWrite1h } : {}),
    };
  }
  return out;
}

function whole(value: unknown, at: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw invalidField(at, `must be a whole number from ${min} to ${max}`);
  return value;
}
