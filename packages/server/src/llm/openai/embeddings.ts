import { countEmbeddingsInput, usageFromEmbeddings } from '../costing.js';
import type { ApiAdapter, StreamTally } from '../http/proxy-call.js';
import { bad, object } from './checks.js';

/** The parts of an embeddings request Warden reads; the rest goes to the provider as sent. */
export interface EmbeddingsBody {
  readonly raw: Record<string, unknown>;
  readonly model: string;
  /** How many inputs (texts or token arrays) the request embeds. */
  readonly inputs: number;
}

/**
 * `POST /llm/openai/v1/embeddings`: never streamed, and no output tokens (an embedding is billed by
 * its input alone), so the reservation is the input as counted and policies see `max_tokens: 0`.
 */
export const embeddings: ApiAdapter<EmbeddingsBody> = {
  api: 'openai',

  check(body) {
    const raw = object(body, 'body');
    const model = raw.model;
    if (typeof model !== 'string' || model === '') throw bad('model', 'you must provide a model parameter');
    const input = raw.input;
    const valid =
      (typeof input === 'string' && input !== '') ||
      (Array.isArray(input) &&
        input.length > 0 &&
        input.every(
          (item) =>
            typeof item === 'string' ||
            typeof item === 'number' ||
            (Array.isArray(item) && item.every((token) => typeof token === 'number')),
        ));
    if (!valid)
      throw bad('input', 'input must be a non-empty string, a list of strings, or a list of token arrays');
    const list = input as unknown[] | string;
    const tokenArray = Array.isArray(list) && list.every((item) => typeof item === 'number');
    return { raw, model, inputs: typeof list === 'string' || tokenArray ? 1 : list.length };
  },

  model: (body) => body.model,
  streaming: () => false,
  maxOutputTokens: () => 0,
  countInput: (body, model) => countEmbeddingsInput({ ...body.raw, model }),

  policyArgs(body, inputTokens) {
    return {
      max_tokens: 0,
      input_tokens: inputTokens,
      inputs: body.inputs,
      ...(typeof body.raw.dimensions === 'number' ? { dimensions: body.raw.dimensions } : {}),
    };
  },

  upstream(body, route, key) {
    return {
      url: `${route.provider.baseUrl}/embeddings`,
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify({ ...body.raw, model: route.model }),
    };
  },

  usageOf(answer) {
    const usage = (answer as { usage?: unknown } | null)?.usage;
    return usage ? usageFromEmbeddings(usage) : undefined;
  },

  // The vectors are not kept in the audit: what was answered, not the numbers.
  answerText(answer) {
    const data = (answer as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) return '';
    const first = (data[0] as { embedding?: unknown } | undefined)?.embedding;
    // Floats, or base64 float32 (what the official client asks for).
    const dimensions = Array.isArray(first)
      ? first.length
      : typeof first === 'string'
        ? Math.floor(Buffer.from(first, 'base64').length / 4)
        : undefined;
    const shape = dimensions !== undefined ? ` of ${dimensions} dimensions` : '';
    return `[${data.length} embedding${data.length === 1 ? '' : 's'}${shape}]`;
  },

  toolCallsOf: () => [],

  promptText(body) {
    const input = body.raw.input;
    if (typeof input === 'string') return input;
    if (!Array.isArray(input)) return '';
    if (input.every((item) => typeof item === 'number')) return `[${input.length} tokens]`;
    return input
      .map((item) => (typeof item === 'string' ? item : `[${(item as unknown[]).length} tokens]`))
      .join('\n');
  },

  // Never streamed (`streaming` is false): proxyCall never asks for a tally.
  tally(): StreamTally {
    return {
      see: () => 'pass',
      usage: () => undefined,
      delivered: () => '',
      finished: () => true,
      toolCalls: () => [],
    };
  },

  costComment: () => '',
};
