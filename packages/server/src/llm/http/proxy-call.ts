import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { canonicalJson, type JsonValue } from '@warden/policy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { callContext } from '../../decisions/call-context.js';
import type { RecordedDecision } from '../../decisions/decision.js';
import { agentOf } from '../../http/auth.js';
import type { ModelUsage } from '../costing.js';
import { type Costing, costingFor } from '../costing.js';
import {
  decideLlmCall,
  kept,
  type LlmCall,
  type LlmCallDeps,
  type LlmOutcome,
  settleLlmCall,
} from '../llm-call.js';
import { type LlmApi, type ModelRoute, routeModel } from '../model-route.js';
import type { ProviderEntry } from '../provider-entry.js';
import type { ShadowHandle } from '../shadow/shadow-runner.js';
import type { SseEvent } from '../sse-events.js';
import { LlmProxyError } from './api-errors.js';
import { llmTraceOf, withTrace } from './llm-trace.js';
import { providerFailure, pumpStream, readText, sendToProvider } from './provider-fetch.js';

/** Watches a provider's stream on its way to the agent. */
export interface StreamTally {
  /** Whether the event goes on to the agent ('drop': a usage chunk it did not ask for). */
  see(event: SseEvent): 'pass' | 'drop';
  /** The usage the provider reported, once it has. */
  usage(): ModelUsage | undefined;
  /** The text and tool-call arguments that reached the agent (priced when the stream is cut). */
  delivered(): string;
  /** Whether the provider's end-of-stream event came. */
  finished(): boolean;
  /** The names of the tools the model called, in order. */
  toolCalls(): string[];
}

/** What differs between the APIs the proxy speaks; `proxyCall` does the rest. */
export interface ApiAdapter<B> {
  readonly api: LlmApi;
  /** The body checked; a mistake is a 400 in the API's shape naming the field. */
  check(body: unknown): B;
  model(body: B): string;
  streaming(body: B): boolean;
  /** The output tokens the request allows (its own limit, else the provider's default). */
  maxOutputTokens(body: B, provider: ProviderEntry): number;
  countInput(body: B, model: string): number;
  /** What policies read besides `model` and `provider`. */
  policyArgs(body: B, inputTokens: number, maxOutputTokens: number): Record<string, unknown>;
  /**
   * The tools of the request the provider would call out of Warden's sight (hosted MCP servers:
   * Responses `mcp` tools, Anthropic's `mcp_servers`), with the field of the first: the call then
   * needs a rule that reads `args.hosted_tools`. Chat Completions has none, hence optional.
   */
  hostedTool?(body: B): { readonly reason: string; readonly field: string } | undefined;
  upstream(
    body: B,
    route: ModelRoute,
    key: string,
    incoming: IncomingHttpHeaders,
  ): { url: string; headers: Record<string, string>; body: string };
  usageOf(answer: unknown): ModelUsage | undefined;
  answerText(answer: unknown): string;
  /** The names of the tools the model called in an answer, in order. */
  toolCallsOf(answer: unknown): string[];
  /**
   * The request as a shadow model gets it (see shadow/shadow-runner.ts): unchanged but for what
   * would leave a trace at the provider. Absent: the API is never shadowed (embeddings).
   */
  shadowBody?(body: B): B;
  promptText(body: B): string;
  tally(body: B): StreamTally;
  /** The SSE comment that ends a stream with its cost. */
  costComment(usd: number, decisionId: string): string;
}

/** The largest error body of a provider passed on to the agent. */
const MAX_ERROR_BYTES = 65_536;

/**
 * One model call through the proxy: checked, routed to a provider and model, priced (worst case
 * reserved), decided on the decide pipeline, sent with the provider's key, answered as the provider
 * answered (streamed as it streams), priced again from the provider's usage and settled with the
 * prompt and the answer in the audit.
 */
export async function proxyCall<B>(
  deps: LlmCallDeps,
  adapter: ApiAdapter<B>,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const started = performance.now();
  const principal = agentOf(request);
  const body = adapter.check(request.body);
  const route = routeModel(deps.providers.of(principal.tenantId), adapter.api, adapter.model(body));
  if ('reason' in route) {
    throw new LlmProxyError(
      route.reason === 'unknown_model' ? 404 : 400,
      route.reason === 'unknown_model' ? 'model_not_found' : route.reason,
      route.message,
      { field: 'body.model' },
    );
  }
  const costing = costingFor(route);
  const inputTokens = adapter.countInput(body, route.model);
  const maxOutput = adapter.maxOutputTokens(body, route.provider);
  const stream = adapter.streaming(body);
  const hosted = adapter.hostedTool?.(body);
  const call: LlmCall = {
    principal,
    route,
    args: {
      // On every model call, so a rule on hosted tools reads the same on every API.
      hosted_tools: [],
      ...adapter.policyArgs(body, inputTokens, maxOutput),
      model: route.model,
      provider: route.provider.name,
      stream,
      // Binds an approval to this very request: a human approves a prompt, not a shape of one.
      request_sha256: requestDigest(request.body),
    },
    estimate: {
      tokens: inputTokens + maxOutput,
      ...(costing ? { usd: costing.worstCaseUsd(inputTokens, maxOutput) } : {}),
    },
    context: callContext(undefined, webHeaders(request.headers), 'llm'),
    unpriced: costing === undefined,
    ...(hosted ? { hosted } : {}),
    ...llmTraceOf(request),
  };
  const decision = await decideLlmCall(deps, call);
  const shadow = deps.shadows.start({
    principal,
    adapter,
    body,
    route,
    decision,
    args: call.args,
    inputTokens,
    maxOutputTokens: maxOutput,
    stream,
    incoming: request.headers,
  });
  try {
    // Decided, so priced: an unpriced model was refused by the decision.
    const price = costing as Costing;
    return await forward(
      { deps, adapter, body, route, call, decision, shadow, price, started },
      request,
      reply,
    );
  } finally {
    // Whatever happened to the call, the shadow run stops waiting for it.
    shadow?.primaryDone({ status: 'failed', costUsd: 0, answer: '', toolCalls: [], latencyMs: null });
  }
}

/** An allowed call on its way to the provider. */
interface Forwarding<B> {
  readonly deps: LlmCallDeps;
  readonly adapter: ApiAdapter<B>;
  readonly body: B;
  readonly route: ModelRoute;
  readonly call: LlmCall;
  readonly decision: RecordedDecision;
  readonly shadow: ShadowHandle | undefined;
  readonly price: Costing;
  readonly started: number;
}

/** Sends the decided call with the provider's key and answers as the provider answers, then settles. */
async function forward<B>(
  { deps, adapter, body, route, call, decision, shadow, price, started }: Forwarding<B>,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const inputTokens = call.args.input_tokens as number;
  let sentAt: number | undefined;
  const settle = (
    outcome: Omit<LlmOutcome, 'durationMs' | 'record'>,
    seen?: { answer: string; usage: ModelUsage; toolCalls: readonly string[]; firstTokenMs?: number },
  ) => {
    const now = performance.now();
    settleLlmCall(deps, call, decision, {
      ...outcome,
      durationMs: Math.round(now - started),
      record: record(adapter, body, route, seen ? { ...seen, costUsd: outcome.costUsd } : null),
    });
    shadow?.primaryDone({
      status: outcome.status,
      costUsd: outcome.costUsd,
      answer: seen?.answer ?? '',
      toolCalls: seen?.toolCalls ?? [],
      latencyMs: sentAt === undefined ? null : now - sentAt,
      ...(seen ? { usage: seen.usage } : {}),
      ...(seen?.firstTokenMs !== undefined ? { firstTokenMs: seen.firstTokenMs } : {}),
    });
  };
  const failed = (error: string) => settle({ status: 'failed', costUsd: 0, tokens: 0, error });

  const provider = route.provider;
  let key: string;
  try {
    key = await deps.providers.apiKey(call.principal.tenantId, provider);
  } catch (error) {
    deps.log.error({ err: error, provider: provider.name }, 'provider key cannot be read');
    failed(`the key of provider ${provider.name} cannot be read`);
    throw new LlmProxyError(
      502,
      'provider_unavailable',
      `provider ${provider.name} is not configured correctly on this node`,
      { decisionId: decision.decisionId },
    );
  }
  const outgoing = withTrace(adapter.upstream(body, route, key, request.headers), call.trace);
  const gone = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) gone.abort();
  });
  const overheadMs = performance.now() - started;
  sentAt = performance.now();
  let exchange: Awaited<ReturnType<typeof sendToProvider>>;
  try {
    exchange = await sendToProvider({
      ...outgoing,
      timeoutMs: provider.timeoutMs,
      clientGone: gone.signal,
      provider: provider.name,
      publicOnly: provider.publicOnly === true,
    });
  } catch (error) {
    failed(error instanceof Error ? error.message : 'provider request failed');
    throw error instanceof LlmProxyError ? withDecision(error, decision) : error;
  }
  const { response, timeout } = exchange;
  const wardenHeaders = {
    'x-warden-decision-id': decision.decisionId,
    'x-warden-overhead-ms': overheadMs.toFixed(2),
  };

  if (!response.ok) {
    // Not billed by the provider: the reservation is released, the error passed on as the provider gave it.
    const text = (await readText(response, timeout, provider)).slice(0, MAX_ERROR_BYTES);
    failed(`provider ${provider.name} answered ${response.status}`);
    const retryAfter = response.headers.get('retry-after');
    return reply
      .status(response.status)
      .headers({
        ...wardenHeaders,
        'content-type': response.headers.get('content-type') ?? 'application/json',
        ...(retryAfter ? { 'retry-after': retryAfter } : {}),
      })
      .send(text);
  }

  if (!call.args.stream) {
    let text: string;
    let answer: unknown;
    try {
      text = await readText(response, timeout, provider);
      answer = JSON.parse(text);
    } catch (error) {
      failed(`provider ${provider.name} answered with something that is not JSON`);
      throw error instanceof LlmProxyError
        ? withDecision(error, decision)
        : new LlmProxyError(
            502,
            'upstream_invalid',
            `provider ${provider.name} answered with something that is not JSON`,
            { decisionId: decision.decisionId },
          );
    }
    const answerText = adapter.answerText(answer);
    const usage = adapter.usageOf(answer) ?? price.counted(inputTokens, answerText);
    const cost = price.costUsd(usage);
    settle(
      { status: 'succeeded', costUsd: cost, tokens: price.tokens(usage) },
      { answer: answerText, usage, toolCalls: adapter.toolCallsOf(answer) },
    );
    return reply
      .status(response.status)
      .headers({ ...wardenHeaders, 'x-warden-cost-usd': cost.toFixed(6), 'content-type': 'application/json' })
      .send(text);
  }

  reply.hijack();
  reply.raw.writeHead(200, {
    ...wardenHeaders,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-request-id': String(request.id),
  });
  const tally = adapter.tally(body);
  let firstTokenMs: number | undefined;
  let broken: string | undefined;
  try {
    await pumpStream(response, tally, (raw) => {
      firstTokenMs ??= performance.now() - (sentAt as number);
      if (!gone.signal.aborted) reply.raw.write(raw);
    });
    if (!tally.finished()) broken = `provider ${provider.name} ended the stream before it was complete`;
  } catch (error) {
    broken = gone.signal.aborted
      ? 'the agent closed the stream before it ended'
      : providerFailure({ provider: provider.name, timeoutMs: provider.timeoutMs }, timeout, error).message;
  }
  // Priced from the provider's usage when it came; a cut stream is charged for what was delivered.
  const usage = tally.usage() ?? price.counted(inputTokens, tally.delivered());
  const cost = price.costUsd(usage);
  if (!gone.signal.aborted) {
    if (broken) reply.raw.write(`: warden error ${JSON.stringify(broken)}\n\n`);
    reply.raw.end(adapter.costComment(cost, decision.decisionId));
  }
  settle(
    {
      status: broken ? 'failed' : 'succeeded',
      costUsd: cost,
      tokens: price.tokens(usage),
      ...(broken ? { error: broken } : {}),
    },
    {
      answer: tally.delivered(),
      usage,
      toolCalls: tally.toolCalls(),
      ...(firstTokenMs !== undefined ? { firstTokenMs } : {}),
    },
  );
  return reply;
}

function withDecision(error: LlmProxyError, decision: RecordedDecision): LlmProxyError {
  error.extra = { ...error.extra, decisionId: decision.decisionId };
  return error;
}

/** What the audit keeps of a call: the request's essentials, the prompt and the answer with digests. */
function record<B>(
  adapter: ApiAdapter<B>,
  body: B,
  route: ModelRoute,
  result: { answer: string; usage: ModelUsage; costUsd: number } | null,
): Record<string, unknown> {
  return {
    provider: route.provider.name,
    model: route.model,
    prompt: kept(adapter.promptText(body)),
    ...(result
      ? { completion: kept(result.answer), usage: { ...result.usage }, costUsd: result.costUsd }
      : {}),
  };
}

/** The request as sent, but for how it is delivered (streamed or not). */
function requestDigest(body: unknown): string {
  const { stream: _stream, stream_options: _options, ...rest } = body as Record<string, unknown>;
  return createHash('sha256')
    .update(canonicalJson(rest as JsonValue))
    .digest('hex');
}

function webHeaders(incoming: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    if (typeof value === 'string') headers.set(name, value);
  }
  return headers;
}
