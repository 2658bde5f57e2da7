import type { Timing } from './http-kit.js';

/** A tool call the fake model makes instead of (or after) text. */
export interface ScriptedToolCall {
  name: string;
  /** The arguments object; sent as JSON text (OpenAI) or as `input` (Anthropic). */
  arguments: Record<string, unknown>;
  /** Defaults to a fresh `call_…` / `fc_…` / `toolu_…` id. */
  id?: string;
}

/**
 * How a scripted reply fails instead of answering, each in the API's own shape:
 * - `status`: that HTTP status with the API's error body; 429 carries `retry-after`
 *   (`retryAfterSeconds`, default 1). `type`/`message`/`code` override the body's defaults.
 * - `garbage`: `body` (default an HTML page) sent with `status` (default 200) and `contentType`
 *   (default `application/json`, so the client tries to parse it).
 * - `hang`: never answers; the request stays open until the client times out or the fake closes.
 * - `disconnect`: a stream cut after `afterChunks` SSE events by destroying the socket; for a
 *   request that does not stream, the socket is destroyed before any byte of response.
 * - `stream-error`: a stream that, after `afterChunks` events, sends the API's in-stream error
 *   (Anthropic `event: error` with `type`, default `overloaded_error`; OpenAI chat a
 *   `data: {"error":…}` line, Responses an `error` event) and ends. A request that does not stream
 *   gets the matching status instead (529 for Anthropic's overloaded_error, else 500).
 */
export type ScriptedFailure =
  | {
      kind: 'status';
      status: number;
      type?: string;
      message?: string;
      code?: string;
      retryAfterSeconds?: number;
    }
  | { kind: 'garbage'; status?: number; contentType?: string; body?: string }
  | { kind: 'hang' }
  | { kind: 'disconnect'; afterChunks: number }
  | { kind: 'stream-error'; afterChunks: number; type?: string; message?: string };

/** One reply of the fake model. Everything is optional: an empty reply is the default echo. */
export interface ScriptedReply<Usage> extends Timing {
  /** The assistant text; defaults to `echo: <last user text>` (none when only tool calls are set). */
  text?: string;
  toolCalls?: ScriptedToolCall[];
  /** Usage fields to report instead of the computed ones (the others stay computed). */
  usage?: Partial<Usage>;
  fail?: ScriptedFailure;
}

/**
 * A queue of scripted replies: each request takes the next one, then the default applies again.
 * Replies scripted for a model go to that model's requests first (calls to two models in flight at
 * once, as in shadow mode, take their own replies whatever order they arrive in).
 */
export class ReplyQueue<Usage> {
  private readonly queue: ScriptedReply<Usage>[] = [];
  private readonly byModel = new Map<string, ScriptedReply<Usage>[]>();

  push(replies: ScriptedReply<Usage>[]): void {
    this.queue.push(...replies);
  }

  pushFor(model: string, replies: ScriptedReply<Usage>[]): void {
    this.byModel.set(model, [...(this.byModel.get(model) ?? []), ...replies]);
  }

  next(model?: unknown): ScriptedReply<Usage> {
    const own = typeof model === 'string' ? this.byModel.get(model) : undefined;
    return own?.shift() ?? this.queue.shift() ?? {};
  }
}

/**
 * Deterministic token counts: a text costs ceil(characters / 4) tokens (characters as Unicode code
 * points), at least 1 for a non-empty text. A prompt costs the sum over its texts (see each fake for
 * which fields count); a reply costs its text plus, per tool call, its name and its JSON arguments.
 */
export function tokensOf(text: string): number {
  const length = [...text].length;
  return length === 0 ? 0 : Math.max(1, Math.ceil(length / 4));
}

export function sumTokens(texts: string[]): number {
  return texts.reduce((total, text) => total + tokensOf(text), 0);
}

export function replyTokens(text: string, toolCalls: ScriptedToolCall[]): number {
  return tokensOf(text) + sumTokens(toolCalls.flatMap((call) => [call.name, JSON.stringify(call.arguments)]));
}

/** The texts in a message `content`: a string, or an array of parts whose `text` is a string. */
export function textsOfContent(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  return content.flatMap((part: unknown) => {
    const text = (part as { text?: unknown } | null)?.text;
    return typeof text === 'string' ? [text] : [];
  });
}

/** Splits a reply into stream pieces the way models do: a word with its following spaces. */
export function pieces(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

/** Splits JSON arguments into a few deltas, as providers stream tool-call arguments. */
export function jsonPieces(json: string, size = 8): string[] {
  const out: string[] = [];
  for (let i = 0; i < json.length; i += size) out.push(json.slice(i, i + size));
  return out;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
