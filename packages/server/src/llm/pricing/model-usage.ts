/**
 * What a model call consumed, normalised across providers. The input categories are disjoint (their
 * sum is the whole prompt); reasoning is a part of `outputTokens`, kept for display only.
 */
export interface ModelUsage {
  /** Input tokens neither read from nor written to the cache, billed at the input rate. */
  readonly inputTokens: number;
  /** Input tokens read from the prompt cache (the discounted rate). */
  readonly cacheReadTokens: number;
  /** Input tokens written to the prompt cache, all lifetimes (Anthropic's 5-minute rate by default). */
  readonly cacheWriteTokens: number;
  /** The part of `cacheWriteTokens` written with a one-hour lifetime (Anthropic's dearer rate). */
  readonly cacheWrite1hTokens: number;
  /** Output tokens, reasoning included: all billed at the output rate. */
  readonly outputTokens: number;
  /** The part of `outputTokens` spent on reasoning. Informational: already in `outputTokens`. */
  readonly reasoningTokens: number;
}

export const NO_USAGE: ModelUsage = {
  inputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  cacheWrite1hTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
};

/**
 * The whole prompt (uncached, cache read and cache write): the count long-context tiers are chosen
 * by, as Anthropic ("input tokens including cache") and the price table define them.
 */
export function promptTokensOf(usage: ModelUsage): number {
  return usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
}
