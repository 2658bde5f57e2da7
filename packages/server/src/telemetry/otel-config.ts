/**
 * OpenTelemetry's standard environment variables, read once at start with the rest of the
 * configuration. Tracing is off unless asked for: `OTEL_TRACES_EXPORTER=otlp`, or an OTLP endpoint
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) with no exporter named.
 * `OTEL_SDK_DISABLED=true` and `OTEL_TRACES_EXPORTER=none` keep it off whatever else is set.
 */
export interface OtelSettings {
  readonly enabled: boolean;
  /** Where spans are POSTed (OTLP over HTTP, JSON encoding). */
  readonly tracesUrl: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMillis: number;
  readonly serviceName: string;
  /** From OTEL_RESOURCE_ATTRIBUTES, besides service.name and service.version. */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  readonly sampler: SamplerName;
  /** The ratio of the `traceidratio` samplers. */
  readonly samplerRatio: number;
}

export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

const DEFAULT_ENDPOINT = 'http://localhost:4318';

/** Thrown for a value OpenTelemetry's specification does not allow; the start stops naming it. */
export class OtelConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

export function otelSettings(env: Readonly<Record<string, string | undefined>>): OtelSettings {
  const get = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const exporters = (get('OTEL_TRACES_EXPORTER') ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '');
  for (const exporter of exporters) {
    if (exporter !== 'otlp' && exporter !== 'none') {
      throw new OtelConfigError(
        'OTEL_TRACES_EXPORTER',
        `must be otlp or none (Warden exports OTLP over HTTP), got ${JSON.stringify(exporter)}`,
      );
    }
  }
  const protocol = get('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? get('OTEL_EXPORTER_OTLP_PROTOCOL');
  if (protocol !== undefined && protocol !== 'http/json' && protocol !== 'http/protobuf') {
    throw new OtelConfigError(
      get('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL')
        ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
        : 'OTEL_EXPORTER_OTLP_PROTOCOL',
      `must be http/json or http/protobuf (Warden sends OTLP over HTTP as JSON), got ${JSON.stringify(protocol)}`,
    );
  }
  const tracesEndpoint = get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const endpoint = get('OTEL_EXPORTER_OTLP_ENDPOINT');
  const tracesUrl = tracesEndpoint ?? `${(endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '')}/v1/traces`;
  const where = tracesEndpoint ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  if (!/^https?:\/\/[^\s]+$/.test(tracesUrl)) {
    throw new OtelConfigError(where, `must be an http(s) URL, got ${JSON.stringify(tracesUrl)}`);
  }
  const disabled = (get('OTEL_SDK_DISABLED') ?? 'false').toLowerCase() === 'true';
  const asked =
    exporters.includes('otlp') || (exporters.length === 0 && (tracesEndpoint ?? endpoint) !== undefined);
  const sampler = (get('OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  if (!(SAMPLERS as readonly string[]).includes(sampler)) {
    throw new OtelConfigError(
      'OTEL_TRACES_SAMPLER',
      `must be one of ${SAMPLERS.join(', ')}, got ${JSON.stringify(sampler)}`,
    );
  }
  const ratioText = get('OTEL_TRACES_SAMPLER_ARG');
  const samplerRatio = ratioText === undefined ? 1 : Number(ratioText);
  if (!Number.isFinite(samplerRatio) || samplerRatio < 0 || samplerRatio > 1) {
    throw new OtelConfigError(
      'OTEL_TRACES_SAMPLER_ARG',
      `must be a number from 0 to 1, got ${JSON.stringify(ratioText)}`,
    );
  }
  const timeoutText = get('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT') ?? get('OTEL_EXPORTER_OTLP_TIMEOUT');
  const timeoutMillis = timeoutText === undefined ? 10_000 : Number(timeoutText);
  if (!Number.isInteger(timeoutMillis) || timeoutMillis <= 0) {
    throw new OtelConfigError(
      'OTEL_EXPORTER_OTLP_TIMEOUT',
      `must be a positive integer (ms), got ${JSON.stringify(timeoutText)}`,
    );
  }
  const resourceAttributes = keyValues(get('OTEL_RESOURCE_ATTRIBUTES'));
  return {
    enabled: asked && !disabled && !exporters.includes('none'),
    tracesUrl,
    headers: {
      ...keyValues(get('OTEL_EXPORTER_OTLP_HEADERS')),
      ...keyValues(get('OTEL_EXPORTER_OTLP_TRACES_HEADERS')),
    },
    timeoutMillis,
    serviceName: get('OTEL_SERVICE_NAME') ?? resourceAttributes['service.name'] ?? 'warden',
    resourceAttributes,
    sampler: sampler as SamplerName,
    samplerRatio,
  };
}

/** `k1=v1,k2=v2`, values percent-decoded (the W3C Baggage-like format OTEL_* lists use). */
function keyValues(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    const key = pair.slice(0, at).trim();
    const raw = pair.slice(at + 1).trim();
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      // Kept as written: a stray % is not worth refusing the start for.
    }
    if (key !== '') out[key] = value;
  }
  return out;
}
