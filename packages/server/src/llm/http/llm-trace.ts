import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DecideTrace } from '../../decisions/decide-service.js';
import { parentFromHeaders, type Telemetry } from '../../telemetry/telemetry.js';
import { endSpan, type Span, SpanKind, traceHeaders, withSpan } from '../../telemetry/tracing.js';
import type { LlmCall, LlmOutcome } from '../llm-call.js';
import type { LlmApi } from '../model-route.js';

/**
 * A model call's place in a trace and what it measures, handed through the proxy with the call: the
 * parent of its decision's span, the headers that carry the trace to the provider (and the moment the
 * provider request is made: the proxy's overhead), and its outcome (usage, cost).
 */
export interface LlmCallTrace {
  /** Where the call's decision goes in the trace (and, seen here, the provider it was routed to). */
  decide(call: LlmCall): DecideTrace;
  /** The W3C headers of the provider request; marks the end of the proxy's own work. */
  upstreamHeaders(): Record<string, string>;
  settled(call: LlmCall, outcome: LlmOutcome): void;
}

const traces = new WeakMap<FastifyRequest, LlmCallTrace>();

/** The trace of a model call the route wrapped (none for routes that are not). */
export function llmTraceOf(request: FastifyRequest): { readonly trace?: LlmCallTrace } {
  const trace = traces.get(request);
  return trace ? { trace } : {};
}

/** The provider request's headers with the trace context added, when there is one. */
export function withTrace<T extends { headers: Record<string, string> }>(
  outgoing: T,
  trace: LlmCallTrace | undefined,
): T {
  if (!trace) return outgoing;
  return { ...outgoing, headers: { ...outgoing.headers, ...trace.upstreamHeaders() } };
}

/**
 * Runs one model call of the proxy under a CLIENT span `chat <model>` (`embeddings <model>`; just
 * `chat` when the model is not one Warden routes), child
 * of the caller's `traceparent`, and counts it by API, provider and the status answered.
 */
export async function tracedModelCall(
  telemetry: Telemetry | undefined,
  api: LlmApi,
  operation: 'chat' | 'embeddings',
  request: FastifyRequest,
  reply: FastifyReply,
  run: () => Promise<unknown>,
): Promise<unknown> {
  const remote = parentFromHeaders(request.headers);
  if (!telemetry || (!telemetry.tracing && !telemetry.metrics)) {
    if (remote) {
      traces.set(request, {
        decide: () => ({ parent: remote, remote }),
        upstreamHeaders: () => traceHeaders(remote),
        settled: () => {},
      });
    }
    return run();
  }
  const started = performance.now();
  const asked = (request.body as { model?: unknown } | undefined)?.model;
  const model = typeof asked === 'string' && asked.length <= 200 ? asked : undefined;
  // Named after the model once the call is routed to one a provider serves (a name an agent made up
  // does not become a span name).
  const span: Span | undefined = telemetry.start(
    operation,
    SpanKind.CLIENT,
    {
      'gen_ai.operation.name': operation,
      'warden.llm.api': api,
      ...(model ? { 'gen_ai.request.model': model } : {}),
    },
    remote,
  );
  let provider = 'none';
  const decide: DecideTrace = {
    ...(span ? { parent: withSpan(span) } : remote ? { parent: remote } : {}),
    ...(remote ? { remote } : {}),
  };
  traces.set(request, {
    decide(call) {
      provider = call.route.provider.name;
      span?.updateName(`${operation} ${call.route.model}`);
      span?.setAttributes({
        'gen_ai.provider.name':
          call.route.provider.kind === 'openai-compatible'
            ? call.route.provider.name
            : call.route.provider.kind,
        'gen_ai.request.model': call.route.model,
        'warden.llm.provider': call.route.provider.name,
      });
      return decide;
    },
    upstreamHeaders() {
      telemetry.metrics?.llmOverhead.observe({ api, provider }, (performance.now() - started) / 1_000);
      const context = span?.isRecording() ? span.spanContext() : remote;
      return context ? traceHeaders(context) : {};
    },
    settled(_call, outcome) {
      if (!span) return;
      const usage = outcome.record.usage as
        | { inputTokens: number; cacheReadTokens: number; cacheWriteTokens: number; outputTokens: number }
        | undefined;
      span.setAttributes({
        'warden.cost_usd': outcome.costUsd,
        ...(usage
          ? {
              'gen_ai.usage.input_tokens': usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens,
              'gen_ai.usage.output_tokens': usage.outputTokens,
              'gen_ai.usage.cache_read.input_tokens': usage.cacheReadTokens,
              'gen_ai.usage.cache_creation.input_tokens': usage.cacheWriteTokens,
            }
          : {}),
        ...(outcome.error ? { 'warden.outcome.error': outcome.error } : {}),
      });
      const prompt = telemetry.contentOf((outcome.record.prompt as { text?: string } | undefined)?.text);
      if (prompt !== undefined) span.setAttribute('gen_ai.input.messages', prompt);
      const completion = telemetry.contentOf(
        (outcome.record.completion as { text?: string } | undefined)?.text,
      );
      if (completion !== undefined) span.setAttribute('gen_ai.output.messages', completion);
    },
  });
  const done = (status: number, error?: { type: string; message?: string }) => {
    telemetry.metrics?.llmCalls.inc({ api, provider, status: String(status) });
    if (!span) return;
    span.setAttribute('http.response.status_code', status);
    endSpan(span, error?.type ?? (status >= 400 ? String(status) : undefined), error?.message);
  };
  try {
    const result = await run();
    done(reply.raw.statusCode);
    return result;
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    const code = (error as { code?: unknown }).code;
    done(typeof status === 'number' ? status : 500, {
      type: typeof code === 'string' ? code : 'error',
      ...(error instanceof Error ? { message: error.message } : {}),
    });
    throw error;
  }
}
