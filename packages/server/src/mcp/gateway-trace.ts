import type { ServerContext } from '@modelcontextprotocol/server';
import type { Telemetry } from '../telemetry/telemetry.js';
import {
  type Context,
  endSpan,
  remoteParent,
  type Span,
  type SpanContext,
  SpanKind,
  traceHeaders,
  withSpan,
} from '../telemetry/tracing.js';

/**
 * Where a gateway call sits in a trace, and what it measures on the way: the caller's span (from
 * `params._meta.traceparent`, else the HTTP `traceparent` header), the gateway's span, and the
 * moment the call is forwarded (its overhead is the time until then, any hold for a human excluded).
 */
export interface CallTrace {
  readonly remote?: SpanContext;
  readonly span?: Span;
  /** What the decision's and the hold's spans are children of. */
  readonly parent?: Context | SpanContext;
  /** Told right before the upstream request is sent. */
  forwarding(): void;
  /** Told how long the call was held for a human. */
  held(ms: number): void;
}

/** The `_meta` an upstream request carries: the span it is part of (MCP's carrier on every transport). */
export function upstreamMeta(trace: CallTrace | undefined): Record<string, string> | undefined {
  if (!trace) return undefined;
  const span = trace.span?.isRecording() ? trace.span.spanContext() : trace.remote;
  return span ? traceHeaders(span) : undefined;
}

export interface TracedOperation {
  /** `tools/call`, `resources/read`, `prompts/get`. */
  readonly method: string;
  /** The span's name: `execute_tool <tool>`, `resources/read`, `prompts/get <prompt>`. */
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly meta: unknown;
  readonly ctx: ServerContext;
}

/**
 * Runs one governed MCP request under its span (a SERVER span, child of the caller's), counting it
 * by method and verdict (`allowed`, `denied`, `pending`, `error`) and timing its overhead.
 */
export async function traced<R>(
  telemetry: Telemetry | undefined,
  operation: TracedOperation,
  run: (trace: CallTrace) => Promise<R>,
  verdictOf: (result: R) => 'allowed' | 'denied' | 'pending' | 'failed',
): Promise<R> {
  if (!telemetry || (!telemetry.tracing && !telemetry.metrics)) return run(passThrough(operation));
  const started = performance.now();
  const remote = remoteOf(operation.meta, operation.ctx);
  const headers = operation.ctx.http?.req?.headers;
  const sessionId = headers?.get('mcp-session-id');
  const protocol = headers?.get('mcp-protocol-version');
  const span = telemetry.start(
    operation.name,
    SpanKind.SERVER,
    {
      'mcp.method.name': operation.method,
      'jsonrpc.request.id': String(operation.ctx.mcpReq.id),
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      ...(sessionId ? { 'mcp.session.id': sessionId } : {}),
      ...(protocol ? { 'mcp.protocol.version': protocol } : {}),
      ...operation.attributes,
    },
    remote,
  );
  let heldMs = 0;
  const trace: CallTrace = {
    ...(remote ? { remote } : {}),
    ...(span ? { span, parent: withSpan(span) } : remote ? { parent: remote } : {}),
    forwarding: () =>
      telemetry.metrics?.mcpOverhead.observe(
        { method: operation.method },
        Math.max(0, performance.now() - started - heldMs) / 1_000,
      ),
    held: (ms) => {
      heldMs += ms;
    },
  };
  try {
    const result = await run(trace);
    const verdict = verdictOf(result);
    telemetry.metrics?.mcpCalls.inc({ method: operation.method, verdict });
    if (span) {
      span.setAttribute('warden.verdict', verdict);
      const content = telemetry.contentOf(result);
      if (content !== undefined) span.setAttribute('gen_ai.tool.call.result', content);
      endSpan(
        span,
        verdict === 'allowed' ? undefined : verdict === 'failed' ? 'tool_error' : `warden_${verdict}`,
      );
    }
    return result;
  } catch (error) {
    // A refused or pending read is answered as a JSON-RPC error carrying its verdict.
    const verdict = (error as { verdict?: 'denied' | 'pending' | 'failed' }).verdict ?? 'error';
    telemetry.metrics?.mcpCalls.inc({ method: operation.method, verdict });
    if (span) {
      span.setAttribute('warden.verdict', verdict);
      endSpan(
        span,
        verdict === 'error'
          ? error instanceof Error
            ? error.name
            : 'error'
          : verdict === 'failed'
            ? 'tool_error'
            : `warden_${verdict}`,
        error instanceof Error ? error.message : undefined,
      );
    }
    throw error;
  }
}

/** The caller's span: `params._meta.traceparent` first (MCP's carrier), then the HTTP header. */
function remoteOf(meta: unknown, ctx: ServerContext): SpanContext | undefined {
  const fields = meta && typeof meta === 'object' ? (meta as Record<string, unknown>) : {};
  const headers = ctx.http?.req?.headers;
  return (
    remoteParent(fields.traceparent, fields.tracestate) ??
    remoteParent(headers?.get('traceparent') ?? undefined, headers?.get('tracestate') ?? undefined)
  );
}

/** Without metrics and traces: only the caller's span, passed on to the upstream as it came. */
function passThrough(operation: TracedOperation): CallTrace {
  const remote = remoteOf(operation.meta, operation.ctx);
  return { ...(remote ? { remote, parent: remote } : {}), forwarding: () => {}, held: () => {} };
}
