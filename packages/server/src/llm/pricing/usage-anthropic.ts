import type { ModelUsage } from './model-usage.js';
import { field, readCount } from './read-count.js';

/*
 * Anthropic's Messages `usage` (field semantics from the @anthropic-ai/sdk types): `input_tokens`
 * excludes the cache; `cache_creation_input_tokens` and `cache_read_input_tokens` are added to it;
 * `cache_creation.ephemeral_1h_input_tokens` is the one-hour part of the cache writes; `output_tokens`
 * includes `output_tokens_details.thinking_tokens`.
 *
 * Bad data, explicitly: `input_tokens` or `output_tokens` missing or malformed makes the usage
 * unreadable (`undefined`: settle at the reservation). The cache counts are added to the bill, so a
 * malformed one (present, not null, not a count) is unreadable too, while a missing or null one is 0
 * (the API sends null when no cache was used). A malformed one-hour split counts every cache write as
 * one-hour (the dearer rate); a malformed thinking count is 0 (it is informational).
 */

/** A Messages response's `usage` → ModelUsage, or undefined when unreadable. */
export function fromAnthropicUsage(usage: unknown): ModelUsage | undefined {
  const input = readCount(field(usage, 'input_tokens'));
  const output = readCount(field(usage, 'output_tokens'));
  const cacheWrite = optionalCount(field(usage, 'cache_creation_input_tokens'));
  const cacheRead = optionalCount(field(usage, 'cache_read_input_tokens'));
  if (input === undefined || output === undefined || cacheWrite === undefined || cacheRead === undefined) {
    return undefined;
  }
  const creation = field(usage, 'cache_creation');
  const oneHourField = field(creation, 'ephemeral_1h_input_tokens');
  const oneHour = oneHourField === undefined || oneHourField === null ? 0 : readCount(oneHourField);
  return {
    inputTokens: input,
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    cacheWrite1hTokens: Math.min(oneHour ?? cacheWrite, cacheWrite),
    outputTokens: output,
    reasoningTokens: Math.min(
      readCount(field(field(usage, 'output_tokens_details'), 'thinking_tokens')) ?? 0,
      output,
    ),
  };
}

/** Missing or null → 0; a count → itself; anything else → undefined (malformed). */
function optionalCount(value: unknown): number | undefined {
  return value === undefined || value === null ? 0 : readCount(value);
}

/**
 * A streamed Messages call's usage: `message_start.message.usage` first, then each `message_delta`'s
 * usage, whose counts are cumulative (the last one wins; a null or absent count keeps the earlier
 * value). Feed every event; read `usage()` at the end.
 */
export class AnthropicStreamUsage {
  private current: Record<string, unknown> | undefined;

  onEvent(event: unknown): void {
    const type = field(event, 'type');
    if (type === 'message_start') {
      const usage = field(field(event, 'message'), 'usage');
      if (typeof usage === 'object' && usage !== null)
        this.current = { ...(usage as Record<string, unknown>) };
    } else if (type === 'message_delta') {
      const usage = field(event, 'usage');
      if (typeof usage !== 'object' || usage === null) return;
      const merged: Record<string, unknown> = { ...this.current };
      for (const [key, value] of Object.entries(usage)) {
        if (value !== null && value !== undefined) merged[key] = value;
      }
      this.current = merged;
    }
  }

  /** The usage so far, or undefined when no message_start was seen or its counts are unreadable. */
  usage(): ModelUsage | undefined {
    return this.current === undefined ? undefined : fromAnthropicUsage(this.current);
  }
}
