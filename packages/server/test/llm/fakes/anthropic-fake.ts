/**
 * A local fake of the Anthropic Messages API speaking its wire protocol, for tests and the
 * benchmark: the official `@anthropic-ai/sdk` client given `url` as its `baseURL` works unchanged.
 *
 * Covers: `POST /v1/messages` (JSON `message` with `usage` incl. cache creation and cache read
 * tokens; SSE with `event:` lines `message_start`, `content_block_start`, `ping`,
 * `content_block_delta` with `text_delta` or `input_json_delta`, `content_block_stop`,
 * `message_delta` with `stop_reason` and cumulative usage, `message_stop`), tool_use blocks,
 * `POST /v1/messages/count_tokens`, auth by `x-api-key` or `Authorization: Bearer` (the installed
 * SDK sends its API key as a Bearer token) with `anthropic-version` required, Anthropic's
 * error body `{"type":"error","error":{type,message},"request_id"}` and headers (`request-id`,
 * `anthropic-ratelimit-*`, `retry-after` on 429), 529 `overloaded_error`, `event: error` inside a
 * stream, and scripted failures and delays (see ScriptedFailure and Timing).
 *
 * Does not cover: any other endpoint (404 in Anthropic's shape), OAuth or workload identity tokens,
 * request validation beyond JSON parsing and the headers (no 400 for a missing `max_tokens`),
 * thinking blocks, citations, server tools, `stop_sequences`, the Batches and Files APIs, beta
 * headers, and real tokenization (see tokensOf for the counts).
 */
import {
  type AnthropicTurn,
  type AnthropicUsage,
  anthropicError,
  message,
  messageEvents,
} from './anthropic-shapes.js';
import { answerFailure, withStreamError } from './failures.js';
import {
  header,
  type RecordedRequest,
  randomId,
  sendJson,
  sleep,
  startHttpServer,
  type Timing,
  writeSse,
} from './http-kit.js';
import {
  isObject,
  ReplyQueue,
  replyTokens,
  type ScriptedReply,
  type ScriptedToolCall,
  sumTokens,
  textsOfContent,
} from './script.js';

export type { AnthropicUsage } from './anthropic-shapes.js';
export type AnthropicReply = ScriptedReply<AnthropicUsage>;

export interface FakeAnthropicOptions extends Timing {
  /** The key `x-api-key` (or `Authorization: Bearer`) must carry. Default `sk-ant-fake`. */
  apiKey?: string;
}

export interface FakeAnthropic {
  /** The base URL to give the client: the origin, without `/v1` (the SDK adds `/v1/messages`). */
  url: string;
  /** Every request received, in order (wrong keys included). */
  requests: RecordedRequest[];
  /** Queues replies: each authenticated request takes the next one; when none is left, the default. */
  script(...replies: AnthropicReply[]): void;
  /** Queues replies for requests to `model` only (taken before the shared queue's). */
  scriptFor(model: string, ...replies: AnthropicReply[]): void;
  close(): Promise<void>;
}

export const FAKE_ANTHROPIC_KEY = 'sk-ant-fake';

/**
 * Starts the fake on 127.0.0.1 and an ephemeral port.
 *
 * Default replies: the assistant text is `echo: <text of the last user message>`. Usage:
 * `input_tokens` is the tokensOf sum over the texts of `system` and of every message's `content`
 * (the same number count_tokens answers); `output_tokens` is replyTokens of the reply; cache
 * creation and cache read are 0. A scripted `usage` replaces the fields it names (input_tokens
 * stays the uncached part, as Anthropic reports it).
 */
export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const apiKey = options.apiKey ?? FAKE_ANTHROPIC_KEY;
  const queue = new ReplyQueue<AnthropicUsage>();

  const server = await startHttpServer(async (_req, res, recorded) => {
    const requestId = `req_011C${randomId(20)}`;
    const headers = responseHeaders(requestId);
    const fail = (status: number, type: string, text: string) =>
      sendJson(res, status, anthropicError(type, text, requestId), headers);
    if (!authenticated(recorded, apiKey)) {
      fail(401, 'authentication_error', 'invalid x-api-key');
      return;
    }
    if (!header(recorded.headers, 'anthropic-version')) {
      fail(400, 'invalid_request_error', 'anthropic-version: header is required');
      return;
    }
    const route = `${recorded.method} ${recorded.path}`;
    if (route !== 'POST /v1/messages' && route !== 'POST /v1/messages/count_tokens') {
      fail(404, 'not_found_error', 'Not found');
      return;
    }
    if (!isObject(recorded.body)) {
      fail(400, 'invalid_request_error', 'There was an issue with your request body: invalid JSON');
      return;
    }
    const body = recorded.body;
    const reply = withOverloadedDefault(queue.next(body.model));
    const streaming = body.stream === true;
    await sleep(reply.firstByteDelayMs ?? options.firstByteDelayMs, res);
    if (res.destroyed) return;
    const errorBody = (failure: { status: number; type?: string; message?: string }) =>
      statusError(failure, requestId);
    if (reply.fail && (await answerFailure(res, reply.fail, streaming, errorBody, headers))) return;

    if (route === 'POST /v1/messages/count_tokens') {
      sendJson(
        res,
        200,
        { input_tokens: reply.usage?.input_tokens ?? sumTokens(promptTexts(body)) },
        headers,
      );
      return;
    }
    const turn = turnOf(body, reply);
    if (!streaming) {
      sendJson(res, 200, message(turn), headers);
      return;
    }
    const events = messageEvents(turn).map((event) => ({ event: event.type, data: JSON.stringify(event) }));
    const failed = withStreamError(events, reply, () => ({
      event: 'error',
      data: JSON.stringify(
        errorBody({ status: 529, ...(reply.fail?.kind === 'stream-error' ? reply.fail : {}) }),
      ),
    }));
    await writeSse(res, headers, failed, {
      chunkDelayMs: reply.chunkDelayMs ?? options.chunkDelayMs,
      cutAfter: reply.fail?.kind === 'disconnect' ? reply.fail.afterChunks : undefined,
    });
  });

  return {
    url: server.origin,
    requests: server.requests,
    script: (...replies) => queue.push(replies),
    scriptFor: (model, ...replies) => queue.pushFor(model, replies),
    close: () => server.close(),
  };
}

/**
 * The key in `x-api-key`, or as `Authorization: Bearer <key>`: the installed `@anthropic-ai/sdk`
 * sends its `apiKey` that way (and `authToken` too), older clients and curl use `x-api-key`.
 */
function authenticated(recorded: RecordedRequest, apiKey: string): boolean {
  return (
    header(recorded.headers, 'x-api-key') === apiKey ||
    header(recorded.headers, 'authorization') === `Bearer ${apiKey}`
  );
}

/** An Anthropic stream error is `overloaded_error` unless the script names another type. */
function withOverloadedDefault(reply: AnthropicReply): AnthropicReply {
  if (reply.fail?.kind !== 'stream-error' || reply.fail.type) return reply;
  return { ...reply, fail: { ...reply.fail, type: 'overloaded_error' } };
}

function responseHeaders(requestId: string): Record<string, string> {
  const reset = new Date(Date.now() + 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    'request-id': requestId,
    'anthropic-organization-id': '00000000-0000-4000-8000-000000000000',
    'anthropic-ratelimit-requests-limit': '4000',
    'anthropic-ratelimit-requests-remaining': '3999',
    'anthropic-ratelimit-requests-reset': reset,
    'anthropic-ratelimit-input-tokens-limit': '2000000',
    'anthropic-ratelimit-input-tokens-remaining': '2000000',
    'anthropic-ratelimit-input-tokens-reset': reset,
    'anthropic-ratelimit-output-tokens-limit': '400000',
    'anthropic-ratelimit-output-tokens-remaining': '400000',
    'anthropic-ratelimit-output-tokens-reset': reset,
  };
}

/** Anthropic's body for a scripted status: the error type it uses for that status. */
function statusError(failure: { status: number; type?: string; message?: string }, requestId: string) {
  const defaults: Record<number, [string, string]> = {
    400: ['invalid_request_error', 'Invalid request.'],
    401: ['authentication_error', 'invalid x-api-key'],
    403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
    404: ['not_found_error', 'The requested resource could not be found.'],
    413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
    429: ['rate_limit_error', 'This request would exceed the rate limit for your organization.'],
    500: ['api_error', 'Internal server error'],
    529: ['overloaded_error', 'Overloaded'],
  };
  const [type, text] = defaults[failure.status] ?? ['api_error', 'Internal server error'];
  return anthropicError(failure.type ?? type, failure.message ?? text, requestId);
}

function turnOf(body: Record<string, unknown>, reply: AnthropicReply): AnthropicTurn {
  const toolCalls = (reply.toolCalls ?? []).map((call: ScriptedToolCall) => ({
    ...call,
    id: call.id ?? `toolu_01${randomId(22)}`,
  }));
  const text = reply.text ?? (toolCalls.length > 0 ? '' : `echo: ${lastUserText(body.messages)}`);
  return {
    model: typeof body.model === 'string' ? body.model : 'claude-sonnet-4-5',
    text,
    toolCalls,
    usage: {
      input_tokens: sumTokens(promptTexts(body)),
      output_tokens: replyTokens(text, toolCalls),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      ...reply.usage,
    },
  };
}

function promptTexts(body: Record<string, unknown>): string[] {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  return [
    ...textsOfContent(body.system),
    ...messages.flatMap((item: unknown) => (isObject(item) ? textsOfContent(item.content) : [])),
  ];
}

function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const item: unknown = messages[i];
    if (isObject(item) && item.role === 'user') return textsOfContent(item.content).join(' ');
  }
  return '';
}
