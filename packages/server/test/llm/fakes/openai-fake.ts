/**
 * A local fake of the OpenAI API speaking its wire protocol, for tests and the benchmark: the
 * official `openai` client pointed at `url` works unchanged.
 *
 * Covers: `POST /v1/chat/completions` (JSON `chat.completion`; SSE `chat.completion.chunk` lines
 * ending in `data: [DONE]`, the usage chunk with `stream_options.include_usage`, tool calls streamed
 * as indexed deltas), `POST /v1/responses` (JSON `response`; the typed SSE events from
 * `response.created` to `response.completed` with usage, text and function calls),
 * `POST /v1/embeddings` (float or base64 vectors, `usage.prompt_tokens`), `GET /v1/models`,
 * Bearer auth, OpenAI's error body `{"error":{message,type,param,code}}` and headers
 * (`x-request-id`, `openai-processing-ms`, `x-ratelimit-*`, `retry-after` on 429), errors inside a
 * stream (chat: a `data: {"error":…}` line; Responses: an `error` event), and scripted
 * failures and delays (see ScriptedFailure and Timing).
 *
 * Does not cover: any other endpoint (404 in OpenAI's shape), request validation beyond JSON
 * parsing (no 400 for a bad model or field), `n > 1`, logprobs, audio, images, refusals,
 * reasoning items or summaries in Responses, `previous_response_id` state, organizations and
 * projects, the Realtime and Batch APIs, and real tokenization (see tokensOf for the counts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { answerFailure, withStreamError } from './failures.js';
import {
  header,
  type RecordedRequest,
  randomId,
  type SseEvent,
  sendJson,
  sleep,
  startHttpServer,
  type Timing,
  writeSse,
} from './http-kit.js';
import {
  chatChunks,
  chatCompletion,
  type OpenAiTurn,
  type OpenAiUsage,
  openAiError,
  response,
  responseEvents,
} from './openai-shapes.js';
import {
  isObject,
  ReplyQueue,
  replyTokens,
  type ScriptedReply,
  type ScriptedToolCall,
  sumTokens,
  textsOfContent,
  tokensOf,
} from './script.js';

export type { OpenAiUsage } from './openai-shapes.js';
export type OpenAiReply = ScriptedReply<OpenAiUsage>;

export interface FakeOpenAiOptions extends Timing {
  /** The key `Authorization: Bearer …` must carry. Default `sk-fake-openai`. */
  apiKey?: string;
  /** The ids `GET /v1/models` lists. Default `gpt-4o`, `gpt-4o-mini`, `text-embedding-3-small`. */
  models?: string[];
  /** The length of embedding vectors when the request gives no `dimensions`. Default 8. */
  embeddingDimensions?: number;
  /**
   * Awaited before each authenticated request to a known route is answered (before any delay): a
   * test holds answers back until it has seen what it waits for, e.g. every call of a race decided.
   */
  hold?: (request: RecordedRequest) => Promise<void>;
}

export interface FakeOpenAi {
  /** The base URL to give the client, ending in `/v1`. */
  url: string;
  /** Every request received, in order (wrong keys included). */
  requests: RecordedRequest[];
  /** Queues replies: each authenticated request takes the next one; when none is left, the default. */
  script(...replies: OpenAiReply[]): void;
  /** Queues replies for requests to `model` only (taken before the shared queue's). */
  scriptFor(model: string, ...replies: OpenAiReply[]): void;
  close(): Promise<void>;
}

export const FAKE_OPENAI_KEY = 'sk-fake-openai';

/**
 * Starts the fake on 127.0.0.1 and an ephemeral port.
 *
 * Default replies: the assistant text is `echo: <text of the last user message>`. Usage:
 * `prompt_tokens` is the tokensOf sum over the texts of every message's `content` (chat) or of
 * `instructions` and `input` (responses) or of each embedding input; `completion_tokens` is
 * replyTokens of the reply; `cached_tokens`, `cache_write_tokens` and `reasoning_tokens` are 0. A scripted `usage`
 * replaces the fields it names.
 */
export async function startFakeOpenAi(options: FakeOpenAiOptions = {}): Promise<FakeOpenAi> {
  const apiKey = options.apiKey ?? FAKE_OPENAI_KEY;
  const models = options.models ?? ['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small'];
  const queue = new ReplyQueue<OpenAiUsage>();

  const server = await startHttpServer(async (_req, res, recorded) => {
    const headers = responseHeaders();
    if (header(recorded.headers, 'authorization') !== `Bearer ${apiKey}`) {
      const given = header(recorded.headers, 'authorization')?.replace(/^Bearer /, '') ?? '';
      const message = given
        ? `Incorrect API key provided: ${mask(given)}. You can find your API key at https://platform.openai.com/account/api-keys.`
        : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
      sendJson(
        res,
        401,
        openAiError(message, 'invalid_request_error', given ? 'invalid_api_key' : null),
        headers,
      );
      return;
    }
    const route = `${recorded.method} ${recorded.path}`;
    const known = [
      'POST /v1/chat/completions',
      'POST /v1/responses',
      'POST /v1/embeddings',
      'GET /v1/models',
    ].includes(route);
    if (!known) {
      const message = `Invalid URL (${recorded.method} ${recorded.path})`;
      sendJson(res, 404, openAiError(message, 'invalid_request_error', null), headers);
      return;
    }
    if (recorded.method === 'POST' && !isObject(recorded.body)) {
      const message =
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)";
      sendJson(res, 400, openAiError(message, 'invalid_request_error', null), headers);
      return;
    }
    await options.hold?.(recorded);
    if (res.destroyed) return;
    const body = (recorded.body ?? {}) as Record<string, unknown>;
    const reply = queue.next(body.model);
    const streaming = body.stream === true;
    await sleep(reply.firstByteDelayMs ?? options.firstByteDelayMs, res);
    if (res.destroyed) return;
    if (reply.fail && (await answerFailure(res, reply.fail, streaming, statusError, headers))) return;
    const cutAfter = reply.fail?.kind === 'disconnect' ? reply.fail.afterChunks : undefined;
    const chunkDelayMs = reply.chunkDelayMs ?? options.chunkDelayMs;

    switch (route) {
      case 'GET /v1/models':
        sendJson(res, 200, modelList(models), headers);
        return;
      case 'POST /v1/embeddings':
        sendJson(res, 200, embeddings(body, reply, options.embeddingDimensions ?? 8), headers);
        return;
      case 'POST /v1/chat/completions': {
        const turn = turnOf(body, reply, chatPromptTexts(body), lastUserText(body.messages));
        if (!streaming) {
          sendJson(res, 200, chatCompletion(turn), headers);
          return;
        }
        const includeUsage = isObject(body.stream_options) && body.stream_options.include_usage === true;
        const events: SseEvent[] = chatChunks(turn, includeUsage).map((chunk) => ({
          data: JSON.stringify(chunk),
        }));
        events.push({ data: '[DONE]' });
        const failed = withStreamError(events, reply, () => ({
          data: JSON.stringify(statusError({ status: 500, ...streamErrorOf(reply) })),
        }));
        await writeSse(res, headers, failed, { chunkDelayMs, cutAfter });
        return;
      }
      case 'POST /v1/responses': {
        const turn = turnOf(body, reply, responsesPromptTexts(body), lastUserText(body.input));
        if (!streaming) {
          sendJson(res, 200, response(turn, body), headers);
          return;
        }
        const events = responseEvents(turn, body).map((event) => ({
          event: event.type,
          data: JSON.stringify(event),
        }));
        const failed = withStreamError(events, reply, (at) => {
          const { error } = statusError({ status: 500, ...streamErrorOf(reply) });
          const data = {
            type: 'error',
            code: error.type,
            message: error.message,
            param: null,
            sequence_number: at,
          };
          return { event: 'error', data: JSON.stringify(data) };
        });
        await writeSse(res, headers, failed, { chunkDelayMs, cutAfter });
        return;
      }
    }
  });

  return {
    url: `${server.origin}/v1`,
    requests: server.requests,
    script: (...replies) => queue.push(replies),
    scriptFor: (model, ...replies) => queue.pushFor(model, replies),
    close: () => server.close(),
  };
}

function streamErrorOf(reply: OpenAiReply): { type?: string; message?: string } {
  return reply.fail?.kind === 'stream-error' ? { type: reply.fail.type, message: reply.fail.message } : {};
}

function responseHeaders(): Record<string, string> {
  return {
    'x-request-id': `req_${randomBytes(16).toString('hex')}`,
    'openai-processing-ms': '7',
    'openai-version': '2020-10-01',
    'x-ratelimit-limit-requests': '10000',
    'x-ratelimit-remaining-requests': '9999',
    'x-ratelimit-limit-tokens': '10000000',
    'x-ratelimit-remaining-tokens': '9999000',
    'x-ratelimit-reset-requests': '6ms',
    'x-ratelimit-reset-tokens': '0s',
  };
}

/** OpenAI's body for a scripted status: the type and code it uses for that status. */
function statusError(failure: { status: number; type?: string; message?: string; code?: string }) {
  const defaults: Record<number, [string, string, string | null]> = {
    400: ['Invalid request.', 'invalid_request_error', null],
    401: ['Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'],
    403: ['You are not allowed to sample from this model', 'invalid_request_error', null],
    404: [
      'The model does not exist or you do not have access to it.',
      'invalid_request_error',
      'model_not_found',
    ],
    429: ['Rate limit reached for requests. Please try again in 1s.', 'requests', 'rate_limit_exceeded'],
    500: ['The server had an error while processing your request. Sorry about that!', 'server_error', null],
    503: ['The engine is currently overloaded, please try again later.', 'server_error', null],
  };
  const [message, type, code] = defaults[failure.status] ?? ['Something went wrong.', 'server_error', null];
  return openAiError(failure.message ?? message, failure.type ?? type, failure.code ?? code);
}

function mask(key: string): string {
  return key.length <= 8 ? '*'.repeat(key.length) : `${key.slice(0, 3)}***${key.slice(-4)}`;
}

function turnOf(
  body: Record<string, unknown>,
  reply: OpenAiReply,
  prompt: string[],
  lastUser: string,
): OpenAiTurn {
  const toolCalls = (reply.toolCalls ?? []).map((call: ScriptedToolCall) => ({
    ...call,
    id: call.id ?? `call_${randomId(24)}`,
  }));
  const text = reply.text ?? (toolCalls.length > 0 ? '' : `echo: ${lastUser}`);
  return {
    model: typeof body.model === 'string' ? body.model : 'gpt-4o',
    text,
    toolCalls,
    usage: {
      prompt_tokens: sumTokens(prompt),
      completion_tokens: replyTokens(text, toolCalls),
      cached_tokens: 0,
      cache_write_tokens: 0,
      reasoning_tokens: 0,
      ...reply.usage,
    },
  };
}

function chatPromptTexts(body: Record<string, unknown>): string[] {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  return messages.flatMap((message: unknown) => (isObject(message) ? textsOfContent(message.content) : []));
}

function responsesPromptTexts(body: Record<string, unknown>): string[] {
  const texts = typeof body.instructions === 'string' ? [body.instructions] : [];
  if (typeof body.input === 'string') return [...texts, body.input];
  const items = Array.isArray(body.input) ? body.input : [];
  for (const item of items) {
    if (!isObject(item)) continue;
    texts.push(...textsOfContent(item.content));
    if (typeof item.output === 'string') texts.push(item.output);
  }
  return texts;
}

/** The text of the last `user` message of chat `messages` or of a Responses `input`. */
function lastUserText(messages: unknown): string {
  if (typeof messages === 'string') return messages;
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const message: unknown = messages[i];
    if (isObject(message) && message.role === 'user') return textsOfContent(message.content).join(' ');
  }
  return '';
}

function modelList(models: string[]) {
  return {
    object: 'list',
    data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'system' })),
  };
}

/** Deterministic vectors (from a hash of each input), base64 float32 when asked, as the SDK asks. */
function embeddings(body: Record<string, unknown>, reply: OpenAiReply, defaultDimensions: number) {
  const raw = body.input;
  const inputs: unknown[] =
    Array.isArray(raw) && raw.length > 0 && typeof raw[0] !== 'number' ? raw : [raw ?? ''];
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : defaultDimensions;
  const base64 = body.encoding_format === 'base64';
  const data = inputs.map((input, index) => {
    const vector = vectorOf(JSON.stringify(input), dimensions);
    const embedding = base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  const promptTokens = inputs.reduce<number>(
    (total, input) => total + (Array.isArray(input) ? input.length : tokensOf(String(input))),
    0,
  );
  const tokens = reply.usage?.prompt_tokens ?? promptTokens;
  return {
    object: 'list',
    data,
    model: typeof body.model === 'string' ? body.model : 'text-embedding-3-small',
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

function vectorOf(text: string, dimensions: number): number[] {
  const vector: number[] = [];
  for (let i = 0; vector.length < dimensions; i++) {
    const digest = createHash('sha256').update(`${i}:${text}`).digest();
    for (const byte of digest) {
      if (vector.length === dimensions) break;
      vector.push(Math.round((byte / 127.5 - 1) * 1000) / 1000);
    }
  }
  return vector;
}
