import type { PicosPerToken } from './money.js';

/**
 * A rate with optional long-context tiers: above `above` prompt tokens (uncached + cache read + cache
 * write), the whole call is billed at that tier's rate, the last matching tier winning. That is how
 * the price table defines tiers (Anthropic's and Google's "> 200k input tokens" prices), not a
 * marginal rate on the tokens past the threshold.
 */
export interface TieredRate {
  readonly base: PicosPerToken;
  readonly tiers: readonly RateTier[];
}

export interface RateTier {
  /** The tier applies when the prompt has strictly more tokens than this. */
  readonly above: number;
  readonly rate: PicosPerToken;
}

/** Where a price came from: the bundled genai-prices table, or the operator's configuration. */
export type PriceSource = 'table' | 'override';

/** What one model's tokens cost. Rates in pico-dollars per token (see money.ts). */
export interface ModelPrice {
  /** The provider id the price was found under (a table id such as `openai`, or the operator's). */
  readonly provider: string;
  /** The model id the price was found under (`gpt-4o` for `gpt-4o-2024-08-06`). */
  readonly model: string;
  readonly source: PriceSource;
  readonly input: TieredRate;
  readonly cacheRead: TieredRate;
  /** Cache writes with the default (Anthropic: 5-minute) lifetime. */
  readonly cacheWrite: TieredRate;
  /** Cache writes with a one-hour lifetime. */
  readonly cacheWrite1h: TieredRate;
  readonly output: TieredRate;
  /**
   * Price keys of the table entry this price does not apply (web searches, audio, images...), so a
   * caller can tell that a call using those features may cost more than its token price.
   */
  readonly unappliedPriceKeys: readonly string[];
}

export function flatRate(rate: PicosPerToken): TieredRate {
  return { base: rate, tiers: [] };
}

/** The rate for a call whose prompt has `promptTokens` tokens. */
export function rateAt(rate: TieredRate, promptTokens: number): PicosPerToken {
  let applied = rate.base;
  for (const tier of rate.tiers) if (promptTokens > tier.above) applied = tier.rate;
  return applied;
}

/**
 * The highest rate any call with at most `promptTokens` prompt tokens can be billed at: the maximum
 * over the base and every tier it can reach (not merely the last one, so that a table whose tiers
 * got cheaper with length would still be bounded).
 */
export function highestRateUpTo(rate: TieredRate, promptTokens: number): PicosPerToken {
  let highest = rate.base;
  for (const tier of rate.tiers) if (promptTokens > tier.above && tier.rate > highest) highest = tier.rate;
  return highest;
}
