import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { ExportResultCode, parseTraceParent, TraceState } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  SimpleSpanProcessor,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { OtelSettings } from './otel-config.js';

/** A span's ids, as the audit keeps them so an auditor can open the trace of an event. */
export interface TraceRef {
  readonly traceId: string;
  readonly spanId: string;
}

export type { Attributes, Context, Span, SpanContext };
export { SpanKind, SpanStatusCode };

/** The most spans waiting to be sent (about 2 KB each). */
const MAX_QUEUED = 16_384;

/** The longest traceparent (or tracestate) read; a longer one is ignored like a malformed one. */
const MAX_HEADER_CHARS = 1_024;

/**
 * The caller's span from a W3C `traceparent` (and its `tracestate`), or undefined: a missing,
 * malformed or oversized value is ignored, never an error.
 */
export function remoteParent(traceparent: unknown, tracestate?: unknown): SpanContext | undefined {
  const text = Array.isArray(traceparent) ? traceparent[0] : traceparent;
  if (typeof text !== 'string' || text.length > MAX_HEADER_CHARS) return undefined;
  const parsed = parseTraceParent(text);
  if (!parsed) return undefined;
  const state = Array.isArray(tracestate) ? tracestate.join(',') : tracestate;
  return {
    ...parsed,
    isRemote: true,
    ...(typeof state === 'string' && state !== '' && state.length <= MAX_HEADER_CHARS
      ? { traceState: new TraceState(state) }
      : {}),
  };
}

/** The W3C headers naming `span` as the parent of what a request starts upstream. */
export function traceHeaders(span: SpanContext): Record<string, string> {
  const flags = `0${(span.traceFlags & 0xff).toString(16)}`.slice(-2);
  const state = span.traceState?.serialize();
  return {
    traceparent: `00-${span.traceId}-${span.spanId}-${flags}`,
    ...(state ? { tracestate: state } : {}),
  };
}

/** What a node's tracer needs besides the OTEL_* settings. */
export interface TracingOptions {
  readonly version: string;
  /** Replaces the OTLP exporter, and exports each span as it ends (tests: an in-memory exporter). */
  readonly exporter?: SpanExporter;
  readonly log: { warn(details: Record<string, unknown>, message: string): void };
}

/**
 * One node's tracer provider, not registered globally (nodes in one process do not share it): spans
 * are started with an explicit parent, batched and sent over OTLP/HTTP, flushed on close.
 */
export class Tracing {
  private readonly provider: BasicTracerProvider;
  readonly tracer: Tracer;

  constructor(settings: OtelSettings, options: TracingOptions) {
    const exporter =
      options.exporter ??
      reportingFailures(
        new OTLPTraceExporter({
          url: settings.tracesUrl,
          headers: { ...settings.headers },
          timeoutMillis: settings.timeoutMillis,
        }),
        options.log,
      );
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        ...settings.resourceAttributes,
        'service.name': settings.serviceName,
        'service.version': options.version,
      }),
      sampler: samplerOf(settings),
      // Spans leave in the background, in batches; beyond MAX_QUEUED waiting spans new ones are dropped
      // (a collector that is down must not grow the node's memory).
      spanProcessors: [
        options.exporter
          ? new SimpleSpanProcessor(exporter)
          : new BatchSpanProcessor(exporter, {
              maxQueueSize: MAX_QUEUED,
              maxExportBatchSize: 2_048,
              scheduledDelayMillis: 2_000,
              exportTimeoutMillis: settings.timeoutMillis,
            }),
      ],
    });
    this.tracer = this.provider.getTracer('warden', options.version);
  }

  /** Starts a span under `parent` (a remote caller's span, or one of ours), or a new trace. */
  start(name: string, kind: SpanKind, attributes: Attributes, parent?: Context | SpanContext): Span {
    return this.tracer.startSpan(name, { kind, attributes }, contextOf(parent));
  }

  /** Sends the spans still buffered and stops the exporter. */
  async close(): Promise<void> {
    await this.provider.forceFlush().catch(() => undefined);
    await this.provider.shutdown();
  }
}

/** The context a span is started in: one holding `parent`, or the root (a new trace). */
export function contextOf(parent: Context | SpanContext | undefined): Context {
  if (parent === undefined) return ROOT_CONTEXT;
  return 'traceId' in parent ? trace.setSpanContext(ROOT_CONTEXT, parent as SpanContext) : parent;
}

/** A span's context to start children in. */
export function withSpan(span: Span): Context {
  return trace.setSpan(ROOT_CONTEXT, span);
}

/** Ends a span as failed with `type` (error.type), or as it is. */
export function endSpan(span: Span, errorType?: string, message?: string): void {
  if (errorType !== undefined) {
    span.setAttribute('error.type', errorType);
    span.setStatus({ code: SpanStatusCode.ERROR, ...(message ? { message } : {}) });
  }
  span.end();
}

function samplerOf(settings: OtelSettings): Sampler {
  const ratio = new TraceIdRatioBasedSampler(settings.samplerRatio);
  switch (settings.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** The exporter, logging failed exports (at most once a minute) instead of dropping them silently. */
function reportingFailures(exporter: SpanExporter, log: TracingOptions['log']): SpanExporter {
  let lastWarned = 0;
  return {
    export(spans, done) {
      exporter.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS && Date.now() - lastWarned > 60_000) {
          lastWarned = Date.now();
          log.warn({ err: result.error, spans: spans.length }, 'spans not exported to the OTLP endpoint');
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    ...(exporter.forceFlush ? { forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve() } : {}),
  };
}
