import type { SpanContext } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Config } from '../config/config.js';
import type { Storage } from '../storage/database.js';
import { NodeMetrics } from './metrics.js';
import {
  type Attributes,
  type Context,
  remoteParent,
  type Span,
  type SpanKind,
  type TraceRef,
  Tracing,
} from './tracing.js';

export interface TelemetryOptions {
  readonly storage: Storage;
  readonly version: string;
  readonly clock: () => number;
  readonly log: { warn(details: Record<string, unknown>, message: string): void };
  /** Turns tracing on whatever OTEL_* says, each span exported as it ends (tests). */
  readonly traceExporter?: SpanExporter;
}

/**
 * A node's metrics and traces. Either may be off: `metrics` when WARDEN_METRICS=off, `tracing`
 * unless OTEL_* asks for it; every instrumented place does nothing more than a test when they are.
 */
export class Telemetry {
  readonly metrics: NodeMetrics | undefined;
  readonly tracing: Tracing | undefined;
  /** Whether spans carry arguments and results (WARDEN_TRACE_CONTENT=on). */
  readonly content: boolean;

  constructor(config: Config, options: TelemetryOptions) {
    this.metrics = config.metrics === 'on' ? new NodeMetrics(options.storage, options.clock) : undefined;
    this.tracing =
      config.otel.enabled || options.traceExporter
        ? new Tracing(config.otel, {
            version: options.version,
            log: options.log,
            ...(options.traceExporter ? { exporter: options.traceExporter } : {}),
          })
        : undefined;
    this.content = config.traceContent === 'on';
  }

  /** A span, or undefined when tracing is off. */
  start(
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    parent?: Context | SpanContext,
  ): Span | undefined {
    return this.tracing?.start(name, kind, attributes, parent);
  }

  /** A call's content as a span attribute value, only when the operator opted in. */
  contentOf(value: unknown): string | undefined {
    if (!this.content || value === undefined) return undefined;
    try {
      return JSON.stringify(value);
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    await this.tracing?.close();
  }
}

/** The caller's span from HTTP headers (`traceparent`, `tracestate`); a malformed one is ignored. */
export function parentFromHeaders(headers: Record<string, unknown> | undefined): SpanContext | undefined {
  if (!headers) return undefined;
  return remoteParent(headers.traceparent, headers.tracestate);
}

/**
 * The ids an audit event keeps: the span Warden recorded, or, when it recorded none (tracing off or
 * not sampled), the caller's span it received.
 */
export function traceRefOf(span: Span | undefined, parent: SpanContext | undefined): TraceRef | undefined {
  if (span?.isRecording()) {
    const { traceId, spanId } = span.spanContext();
    return { traceId, spanId };
  }
  return parent ? { traceId: parent.traceId, spanId: parent.spanId } : undefined;
}
