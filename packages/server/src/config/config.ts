import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Static, type TSchema, Type } from 'typebox';
import { Value } from 'typebox/value';
import { parse as parseYaml } from 'yaml';
import { OtelConfigError, type OtelSettings, otelSettings } from '../telemetry/otel-config.js';

/**
 * Every setting, its environment variable, and its schema. Settings come from an optional file
 * (`WARDEN_CONFIG`, JSON or YAML, keys as below) overlaid by the environment, are checked once at
 * start, and the result is frozen and passed explicitly: nothing reads `process.env` later.
 */
const settings = {
  host: { env: 'WARDEN_HOST', schema: Type.String({ minLength: 1 }), default: '127.0.0.1' },
  port: { env: 'WARDEN_PORT', schema: Type.Integer({ minimum: 0, maximum: 65535 }), default: 7420 },
  dataDir: { env: 'WARDEN_DATA_DIR', schema: Type.String({ minLength: 1 }), default: '.warden' },
  databaseUrl: {
    env: 'WARDEN_DATABASE_URL',
    schema: Type.String({ pattern: '^(postgres(ql)?://|sqlite:)' }),
    default: undefined,
  },
  databasePoolSize: {
    env: 'WARDEN_DATABASE_POOL_SIZE',
    schema: Type.Integer({ minimum: 1, maximum: 500 }),
    default: 10,
  },
  sqliteSynchronous: {
    env: 'WARDEN_SQLITE_SYNCHRONOUS',
    schema: Type.Union([Type.Literal('full'), Type.Literal('normal')]),
    default: 'full',
  },
  policyDir: { env: 'WARDEN_POLICY_DIR', schema: Type.String({ minLength: 1 }), default: undefined },
  policySyncIntervalMs: {
    env: 'WARDEN_POLICY_SYNC_INTERVAL_MS',
    schema: Type.Integer({ minimum: 100, maximum: 3_600_000 }),
    default: 5_000,
  },
  credentialCacheTtlMs: {
    env: 'WARDEN_CREDENTIAL_CACHE_TTL_MS',
    schema: Type.Integer({ minimum: 0, maximum: 3_600_000 }),
    default: 60_000,
  },
  defaultTenant: {
    env: 'WARDEN_DEFAULT_TENANT',
    schema: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    default: 'default',
  },
  adminEmail: {
    env: 'WARDEN_ADMIN_EMAIL',
    schema: Type.String({ minLength: 3 }),
    default: 'admin@localhost',
  },
  webhookUrl: {
    env: 'WARDEN_WEBHOOK_URL',
    schema: Type.String({ pattern: '^https?://' }),
    default: undefined,
  },
  webhookSecret: { env: 'WARDEN_WEBHOOK_SECRET', schema: Type.String({ minLength: 16 }), default: undefined },
  logLevel: {
    env: 'WARDEN_LOG_LEVEL',
    schema: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    ),
    default: 'info',
  },
  logFormat: {
    env: 'WARDEN_LOG_FORMAT',
    // pretty: one readable line per event for a person at a terminal; json: pino's lines for a collector.
    schema: Type.Union([Type.Literal('pretty'), Type.Literal('json')]),
    default: 'pretty',
  },
  auditLogName: {
    env: 'WARDEN_AUDIT_LOG_NAME',
    // Checkpoint origins are "<name>/<tenant id>"; the signed-note format forbids spaces and "+".
    schema: Type.String({ pattern: '^[A-Za-z0-9._:/-]{1,200}$' }),
    default: 'warden',
  },
  auditSigningKeyFile: {
    env: 'WARDEN_AUDIT_SIGNING_KEY_FILE',
    schema: Type.String({ minLength: 1 }),
    default: undefined,
  },
  auditKeyEncryptionKeyFile: {
    env: 'WARDEN_AUDIT_KEK_FILE',
    schema: Type.String({ minLength: 1 }),
    default: undefined,
  },
  secretsKeyFile: {
    env: 'WARDEN_SECRETS_KEY_FILE',
    schema: Type.String({ minLength: 1 }),
    default: undefined,
  },
  auditAnchorDir: {
    env: 'WARDEN_AUDIT_ANCHOR_DIR',
    schema: Type.String({ minLength: 1 }),
    default: undefined,
  },
  auditAnchorWebhookUrl: {
    env: 'WARDEN_AUDIT_ANCHOR_WEBHOOK_URL',
    schema: Type.String({ pattern: '^https?://' }),
    default: undefined,
  },
  auditAnchorWebhookSecret: {
    env: 'WARDEN_AUDIT_ANCHOR_WEBHOOK_SECRET',
    schema: Type.String({ minLength: 16 }),
    default: undefined,
  },
  auditCheckpointEvery: {
    env: 'WARDEN_AUDIT_CHECKPOINT_EVERY',
    schema: Type.Integer({ minimum: 1, maximum: 10_000_000 }),
    default: 1_000,
  },
  auditCheckpointIntervalMs: {
    env: 'WARDEN_AUDIT_CHECKPOINT_INTERVAL_MS',
    schema: Type.Integer({ minimum: 10, maximum: 3_600_000 }),
    default: 1_000,
  },
  auditRedactPaths: {
    env: 'WARDEN_AUDIT_REDACT_PATHS',
    schema: Type.Array(Type.String({ minLength: 1 })),
    default: [] as string[],
  },
  auditSubjectPaths: {
    env: 'WARDEN_AUDIT_SUBJECT_PATHS',
    schema: Type.Array(Type.String({ minLength: 1 })),
    default: [] as string[],
  },
  auditMaxOutputBytes: {
    env: 'WARDEN_AUDIT_MAX_OUTPUT_BYTES',
    schema: Type.Integer({ minimum: 256, maximum: 1_048_576 }),
    default: 16_384,
  },
  publicUrl: {
    env: 'WARDEN_PUBLIC_URL',
    // Links in notifications point here (the dashboard and API as humans reach them).
    schema: Type.String({ pattern: '^https?://[^\\s]+$' }),
    default: undefined,
  },
  slackWebhookUrl: {
    env: 'WARDEN_SLACK_WEBHOOK_URL',
    schema: Type.String({ pattern: '^https?://' }),
    default: undefined,
  },
  webhookMaxAttempts: {
    env: 'WARDEN_WEBHOOK_MAX_ATTEMPTS',
    schema: Type.Integer({ minimum: 1, maximum: 50 }),
    default: 8,
  },
  webhookRetryBaseMs: {
    env: 'WARDEN_WEBHOOK_RETRY_BASE_MS',
    schema: Type.Integer({ minimum: 10, maximum: 3_600_000 }),
    default: 1_000,
  },
  approvalMaxTimeoutSeconds: {
    env: 'WARDEN_APPROVAL_MAX_TIMEOUT_SECONDS',
    schema: Type.Integer({ minimum: 1, maximum: 30 * 86_400 }),
    default: 7 * 86_400,
  },
  approvalGrantTtlSeconds: {
    env: 'WARDEN_APPROVAL_GRANT_TTL_SECONDS',
    schema: Type.Integer({ minimum: 1, maximum: 86_400 }),
    default: 900,
  },
  reauthTtlSeconds: {
    env: 'WARDEN_REAUTH_TTL_SECONDS',
    schema: Type.Integer({ minimum: 10, maximum: 3_600 }),
    default: 300,
  },
  stepUpTtlSeconds: {
    env: 'WARDEN_STEP_UP_TTL_SECONDS',
    schema: Type.Integer({ minimum: 30, maximum: 86_400 }),
    default: 900,
  },
  approvalSweepIntervalMs: {
    env: 'WARDEN_APPROVAL_SWEEP_INTERVAL_MS',
    schema: Type.Integer({ minimum: 10, maximum: 60_000 }),
    default: 500,
  },
  onCallFirstSeconds: {
    env: 'WARDEN_ONCALL_FIRST_SECONDS',
    schema: Type.Integer({ minimum: 0, maximum: 86_400 }),
    default: 300,
  },
  accessMaxDurationSeconds: {
    env: 'WARDEN_ACCESS_MAX_DURATION_SECONDS',
    schema: Type.Integer({ minimum: 60, maximum: 365 * 86_400 }),
    default: 7 * 86_400,
  },
  approvalSecurityGroup: {
    env: 'WARDEN_APPROVAL_SECURITY_GROUP',
    schema: Type.String({ minLength: 1 }),
    default: 'security',
  },
  approvalLegalGroup: {
    env: 'WARDEN_APPROVAL_LEGAL_GROUP',
    schema: Type.String({ minLength: 1 }),
    default: 'legal',
  },
  redisUrl: {
    env: 'WARDEN_REDIS_URL',
    schema: Type.String({ pattern: '^rediss?://' }),
    default: undefined,
  },
  rateLimitFailMode: {
    env: 'WARDEN_RATE_LIMIT_FAIL_MODE',
    schema: Type.Union([Type.Literal('closed'), Type.Literal('open')]),
    default: 'closed',
  },
  rateLimitTimeoutMs: {
    env: 'WARDEN_RATE_LIMIT_TIMEOUT_MS',
    schema: Type.Integer({ minimum: 10, maximum: 10_000 }),
    default: 250,
  },
  budgetsFile: { env: 'WARDEN_BUDGETS_FILE', schema: Type.String({ minLength: 1 }), default: undefined },
  mcpServersFile: {
    env: 'WARDEN_MCP_SERVERS_FILE',
    schema: Type.String({ minLength: 1 }),
    default: undefined,
  },
  llmProvidersFile: {
    env: 'WARDEN_LLM_PROVIDERS_FILE',
    schema: Type.String({ minLength: 1 }),
    default: undefined,
  },
  llmMaxBodyBytes: {
    env: 'WARDEN_LLM_MAX_BODY_BYTES',
    // A model request's body (prompts with images can be large); larger ones are refused with 413.
    schema: Type.Integer({ minimum: 65_536, maximum: 256 * 1_048_576 }),
    default: 32 * 1_048_576,
  },
  mcpHoldSeconds: {
    env: 'WARDEN_MCP_HOLD_SECONDS',
    // A call a human must approve first is held this long for the decision (below common client
    // timeouts), then answered pending; 0 answers pending at once.
    schema: Type.Integer({ minimum: 0, maximum: 600 }),
    default: 45,
  },
  mcpHoldProgressSeconds: {
    env: 'WARDEN_MCP_HOLD_PROGRESS_SECONDS',
    // While a call is held, progress goes to clients that asked for it this often (clients reset
    // their request timeout on progress).
    schema: Type.Integer({ minimum: 1, maximum: 60 }),
    default: 10,
  },
  mcpMaxResultBytes: {
    env: 'WARDEN_MCP_MAX_RESULT_BYTES',
    // An upstream result larger than this is not passed to the agent (a hostile or broken upstream).
    schema: Type.Integer({ minimum: 1_024, maximum: 64 * 1_048_576 }),
    default: 4 * 1_048_576,
  },
  mcpAllowedHosts: {
    env: 'WARDEN_MCP_ALLOWED_HOSTS',
    // Host names /mcp answers to besides localhost and WARDEN_PUBLIC_URL's (DNS rebinding guard).
    schema: Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { maxItems: 50 }),
    default: [] as string[],
  },
  mcpApiCommands: {
    env: 'WARDEN_MCP_API_COMMANDS',
    // Commands a stdio server added through the API may run (e.g. npx,uvx). None by default: through
    // the API, a tenant's admin would otherwise run any program on the node.
    schema: Type.Array(Type.String({ minLength: 1, maxLength: 4_096 }), { maxItems: 50 }),
    default: [] as string[],
  },
  apiUpstreamNetworks: {
    env: 'WARDEN_API_UPSTREAM_NETWORKS',
    // Where MCP http servers and LLM providers added through the API may be: public addresses only,
    // so a tenant's admin cannot aim the node at its own network (SSRF); `any` when that network is
    // the tenant's too (a single-tenant node, tests against local fakes).
    schema: Type.Union([Type.Literal('public'), Type.Literal('any')]),
    default: 'public',
  },
  mcpAllowedOrigins: {
    env: 'WARDEN_MCP_ALLOWED_ORIGINS',
    // Host names of browser origins allowed to call /mcp besides localhost's; any other Origin is refused.
    schema: Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { maxItems: 50 }),
    default: [] as string[],
  },
  budgetThresholds: {
    env: 'WARDEN_BUDGET_THRESHOLDS',
    schema: Type.Array(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 100 }), { maxItems: 10 }),
    default: [50, 75, 90] as number[],
  },
  reservationTimeoutSeconds: {
    env: 'WARDEN_RESERVATION_TIMEOUT_SECONDS',
    schema: Type.Integer({ minimum: 1, maximum: 7 * 86_400 }),
    default: 900,
  },
  budgetSweepIntervalMs: {
    env: 'WARDEN_BUDGET_SWEEP_INTERVAL_MS',
    schema: Type.Integer({ minimum: 10, maximum: 3_600_000 }),
    default: 1_000,
  },
  anomalyEwmaAlpha: {
    env: 'WARDEN_ANOMALY_EWMA_ALPHA',
    schema: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
    default: 0.2,
  },
  anomalyCallsFactor: {
    env: 'WARDEN_ANOMALY_CALLS_FACTOR',
    schema: Type.Number({ minimum: 1, maximum: 1_000 }),
    default: 10,
  },
  anomalyRecordsFactor: {
    env: 'WARDEN_ANOMALY_RECORDS_FACTOR',
    schema: Type.Number({ minimum: 1, maximum: 1_000 }),
    default: 10,
  },
  anomalyCostFactor: {
    env: 'WARDEN_ANOMALY_COST_FACTOR',
    schema: Type.Number({ minimum: 1, maximum: 1_000 }),
    default: 1.5,
  },
  anomalyMinSamples: {
    env: 'WARDEN_ANOMALY_MIN_SAMPLES',
    schema: Type.Integer({ minimum: 1, maximum: 10_000 }),
    default: 3,
  },
  anomalySweepIntervalMs: {
    env: 'WARDEN_ANOMALY_SWEEP_INTERVAL_MS',
    schema: Type.Integer({ minimum: 10, maximum: 3_600_000 }),
    default: 60_000,
  },
  breakerFactor: {
    env: 'WARDEN_BREAKER_FACTOR',
    schema: Type.Number({ minimum: 1, maximum: 1_000 }),
    default: 5,
  },
  breakerWindowSeconds: {
    env: 'WARDEN_BREAKER_WINDOW_SECONDS',
    schema: Type.Integer({ minimum: 60, maximum: 3_600 }),
    default: 300,
  },
  breakerMinUsd: {
    env: 'WARDEN_BREAKER_MIN_USD',
    schema: Type.Number({ minimum: 0, maximum: 1_000_000 }),
    default: 1,
  },
  metrics: {
    env: 'WARDEN_METRICS',
    // GET /metrics in the Prometheus text format; `off` does not register the route.
    schema: Type.Union([Type.Literal('on'), Type.Literal('off')]),
    default: 'on',
  },
  metricsToken: {
    env: 'WARDEN_METRICS_TOKEN',
    // When set, every scrape must send it as a bearer token; when not, only loopback may scrape.
    schema: Type.String({ minLength: 16, maxLength: 512, pattern: '^[\\x21-\\x7e]+$' }),
    default: undefined,
  },
  traceContent: {
    env: 'WARDEN_TRACE_CONTENT',
    // Whether spans carry a call's arguments and results (sensitive: off unless the operator opts in).
    schema: Type.Union([Type.Literal('off'), Type.Literal('on')]),
    default: 'off',
  },
  console: {
    env: 'WARDEN_CONSOLE',
    // The web console at / (the built SPA and its sign-in); `off` serves neither the pages nor the
    // sign-in routes, and human routes then accept API tokens only.
    schema: Type.Union([Type.Literal('on'), Type.Literal('off')]),
    default: 'on',
  },
  consoleDir: {
    env: 'WARDEN_CONSOLE_DIR',
    // The built console (index.html and assets/); by default the @warden/console package's dist.
    schema: Type.String({ minLength: 1 }),
    default: undefined,
  },
  consoleSessionIdleSeconds: {
    env: 'WARDEN_CONSOLE_SESSION_IDLE_SECONDS',
    // A console session unused this long ends (8 hours).
    schema: Type.Integer({ minimum: 60, maximum: 30 * 86_400 }),
    default: 8 * 3_600,
  },
  consoleSessionMaxSeconds: {
    env: 'WARDEN_CONSOLE_SESSION_MAX_SECONDS',
    // A console session ends this long after sign-in however much it is used (7 days).
    schema: Type.Integer({ minimum: 60, maximum: 90 * 86_400 }),
    default: 7 * 86_400,
  },
  consoleSignInCodeSeconds: {
    env: 'WARDEN_CONSOLE_SIGN_IN_CODE_SECONDS',
    // How long a one-time sign-in link may wait to be opened (10 minutes).
    schema: Type.Integer({ minimum: 30, maximum: 86_400 }),
    default: 600,
  },
  shutdownGraceMs: {
    env: 'WARDEN_SHUTDOWN_GRACE_MS',
    schema: Type.Integer({ minimum: 0, maximum: 600_000 }),
    default: 10_000,
  },
} as const;

type Settings = typeof settings;
type SettingValue<K extends keyof Settings> = Static<Settings[K]['schema']>;

type DerivedSettings =
  | 'auditSigningKeyFile'
  | 'auditKeyEncryptionKeyFile'
  | 'auditAnchorDir'
  | 'secretsKeyFile';

export type Config = {
  readonly [K in Exclude<keyof Settings, DerivedSettings>]: Settings[K]['default'] extends undefined
    ? SettingValue<K> | undefined
    : SettingValue<K>;
} & {
  /** Always set: when not configured, they live in the data directory. */
  readonly [K in DerivedSettings]: string;
} & {
  /** OpenTelemetry, from the standard OTEL_* variables (off unless asked for). */
  readonly otel: OtelSettings;
};

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`invalid configuration: ${setting}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  /** Usually `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Values that win over the file and the environment (tests, `warden up` flags). */
  readonly overrides?: Partial<Record<keyof Settings, unknown>>;
}

/** Reads, checks and freezes the configuration; throws ConfigError naming the first bad setting. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? {};
  const file = env.WARDEN_CONFIG ? readConfigFile(env.WARDEN_CONFIG) : {};
  const config: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(settings) as [keyof Settings, Settings[keyof Settings]][]) {
    const override = sources.overrides?.[key];
    const fromEnv = env[setting.env];
    const fromFile = file[key];
    let value: unknown = setting.default as unknown;
    let source: string = setting.env;
    if (fromFile !== undefined) [value, source] = [fromFile, `${key} (in ${env.WARDEN_CONFIG})`];
    if (fromEnv !== undefined && fromEnv !== '') [value, source] = [fromEnv, setting.env];
    if (override !== undefined) [value, source] = [override, key];
    if (value === undefined) continue;
    const converted = typeof value === 'string' ? fromText(setting.schema, value) : value;
    if (!Value.Check(setting.schema, converted)) {
      throw new ConfigError(source, describe(setting.schema, value));
    }
    config[key] = converted;
  }
  for (const key of Object.keys(file)) {
    if (!(key in settings)) throw new ConfigError(`${key} (in ${env.WARDEN_CONFIG})`, 'unknown setting');
  }
  if (config.auditAnchorWebhookUrl !== undefined && config.auditAnchorWebhookSecret === undefined) {
    throw new ConfigError(
      'WARDEN_AUDIT_ANCHOR_WEBHOOK_SECRET',
      'required when WARDEN_AUDIT_ANCHOR_WEBHOOK_URL is set (anchored checkpoints are signed)',
    );
  }
  if (config.webhookUrl !== undefined && config.webhookSecret === undefined) {
    throw new ConfigError(
      'WARDEN_WEBHOOK_SECRET',
      'required when WARDEN_WEBHOOK_URL is set (webhooks are signed)',
    );
  }
  config.dataDir = resolve(config.dataDir as string);
  if (config.policyDir !== undefined) config.policyDir = resolve(config.policyDir as string);
  if (config.budgetsFile !== undefined) config.budgetsFile = resolve(config.budgetsFile as string);
  if (config.mcpServersFile !== undefined) config.mcpServersFile = resolve(config.mcpServersFile as string);
  if (config.llmProvidersFile !== undefined)
    config.llmProvidersFile = resolve(config.llmProvidersFile as string);
  if (config.consoleDir !== undefined) config.consoleDir = resolve(config.consoleDir as string);
  try {
    config.otel = Object.freeze(otelSettings(env));
  } catch (error) {
    if (error instanceof OtelConfigError) throw new ConfigError(error.variable, error.message);
    throw error;
  }
  const derived = dataDirFiles(config.dataDir as string);
  for (const key of Object.keys(derived) as DerivedSettings[]) {
    config[key] = resolve((config[key] as string | undefined) ?? derived[key]);
  }
  return Object.freeze(config) as Config;
}

/** Where the key files and the audit anchor directory live unless configured elsewhere. */
export function dataDirFiles(dataDir: string): Record<DerivedSettings, string> {
  return {
    secretsKeyFile: resolve(dataDir, 'secrets.key'),
    auditSigningKeyFile: resolve(dataDir, 'audit-signing.key'),
    auditKeyEncryptionKeyFile: resolve(dataDir, 'audit-kek.key'),
    auditAnchorDir: resolve(dataDir, 'audit-anchor'),
  };
}

/** A setting given as text (environment): lists are comma-separated, the rest converted by schema. */
function fromText(schema: TSchema, text: string): unknown {
  if ((schema as { type?: unknown }).type === 'array') {
    const items = text
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    return Value.Convert(schema, items);
  }
  return Value.Convert(schema, text);
}

function readConfigFile(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError('WARDEN_CONFIG', `cannot read ${path}: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('WARDEN_CONFIG', `${path} must hold a mapping of settings`);
  }
  return parsed as Record<string, unknown>;
}

function describe(schema: { type?: unknown; anyOf?: unknown }, value: unknown): string {
  const shown = JSON.stringify(value);
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.anyOf)) {
    const options = (s.anyOf as { const?: unknown }[]).map((o) => JSON.stringify(o.const)).join(', ');
    return `must be one of ${options}, got ${shown}`;
  }
  if (s.type === 'integer') return `must be an integer from ${s.minimum} to ${s.maximum}, got ${shown}`;
  if (s.type === 'number') {
    const low = s.minimum ?? s.exclusiveMinimum;
    const high = s.maximum ?? s.exclusiveMaximum;
    return `must be a number from ${low} to ${high}, got ${shown}`;
  }
  if (s.pattern) return `must match ${s.pattern}, got ${shown}`;
  if (s.minLength) return `must be a string of at least ${s.minLength} characters`;
  return `has the wrong type: ${shown}`;
}

export function isPostgres(config: Config): boolean {
  return config.databaseUrl !== undefined && /^postgres(ql)?:\/\//.test(config.databaseUrl);
}
