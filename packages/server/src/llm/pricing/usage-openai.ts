import type { ModelUsage } from './model-usage.js';
import { field, readCount } from './read-count.js';

/*
 * OpenAI's `usage` objects (field semantics from the openai v6 SDK types):
 * - Chat Completions: `prompt_tokens` is the whole prompt, `prompt_tokens_details.cached_tokens` and
 *   `.cache_write_tokens` are parts of it; `completion_tokens` includes
 *   `completion_tokens_details.reasoning_tokens`.
 * - Responses: the same with `input_tokens`, `input_tokens_details`, `output_tokens`,
 *   `output_tokens_details`.
 * - Embeddings: `prompt_tokens` only.
 *
 * Bad data, explicitly: a missing or malformed total (`prompt_tokens`, `completion_tokens`...) makes
 * the usage unreadable (`undefined`: the caller settles at the reservation rather than guess). A
 * missing or malformed detail (cached, cache write, reasoning) counts as 0, which prices those tokens
 * at the full input rate: never cheaper than the truth. Details larger than their total are clamped
 * to it.
 */

/** Chat Completions `usage` → ModelUsage, or undefined when its totals are unreadable. */
export function fromChatCompletionsUsage(usage: unknown): ModelUsage | undefined {
  return fromOpenAiShape(
    readCount(field(usage, 'prompt_tokens')),
    field(usage, 'prompt_tokens_details'),
    readCount(field(usage, 'completion_tokens')),
    field(usage, 'completion_tokens_details'),
  );
}

/** Responses API `usage` → ModelUsage, or undefined when its totals are unreadable. */
export function fromResponsesUsage(usage: unknown): ModelUsage | undefined {
  return fromOpenAiShape(
    readCount(field(usage, 'input_tokens')),
    field(usage, 'input_tokens_details'),
    readCount(field(usage, 'output_tokens')),
    field(usage, 'output_tokens_details'),
  );
}

/** Embeddings `usage` → ModelUsage (input only), or undefined when `prompt_tokens` is unreadable. */
export function fromEmbeddingsUsage(usage: unknown): ModelUsage | undefined {
  const prompt = readCount(field(usage, 'prompt_tokens'));
  if (prompt === undefined) return undefined;
  return fromOpenAiShape(prompt, undefined, 0, undefined);
}

function fromOpenAiShape(
  prompt: number | undefined,
  promptDetails: unknown,
  output: number | undefined,
  outputDetails: unknown,
): ModelUsage | undefined {
  if (prompt === undefined || output === undefined) return undefined;
  const cacheRead = Math.min(readCount(field(promptDetails, 'cached_tokens')) ?? 0, prompt);
  const cacheWrite = Math.min(readCount(field(promptDetails, 'cache_write_tokens')) ?? 0, prompt - cacheRead);
  const reasoning = Math.min(readCount(field(outputDetails, 'reasoning_tokens')) ?? 0, output);
  return {
    inputTokens: prompt - cacheRead - cacheWrite,
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    cacheWrite1hTokens: 0,
    outputTokens: output,
    reasoningTokens: reasoning,
  };
}
