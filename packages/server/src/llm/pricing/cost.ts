import type { ModelPrice } from './model-price.js';
import { highestRateUpTo, rateAt } from './model-price.js';
import { type ModelUsage, promptTokensOf } from './model-usage.js';
import { type Micros, picosToMicrosRoundedUp } from './money.js';

/**
 * What a call with this usage costs, in micro-dollars. Every token category at its own rate, the
 * tier chosen by the whole prompt (uncached + cache read + cache write); the exact sum in
 * pico-dollars (bigint) is rounded up once, to the micro-dollar, for the whole call.
 */
export function costOf(price: ModelPrice, usage: ModelUsage): Micros {
  const prompt = promptTokensOf(usage);
  const oneHour = Math.min(usage.cacheWrite1hTokens, usage.cacheWriteTokens);
  const picos =
    times(usage.inputTokens, rateAt(price.input, prompt)) +
    times(usage.cacheReadTokens, rateAt(price.cacheRead, prompt)) +
    times(usage.cacheWriteTokens - oneHour, rateAt(price.cacheWrite, prompt)) +
    times(oneHour, rateAt(price.cacheWrite1h, prompt)) +
    times(usage.outputTokens, rateAt(price.output, prompt));
  return picosToMicrosRoundedUp(picos);
}

/**
 * The most a call with at most `inputTokens` prompt tokens and `maxOutputTokens` output tokens can
 * cost: what to reserve before forwarding it. Every prompt token at the dearest input-side rate
 * (no cache discount, and cache writes, dearer than plain input at Anthropic, covered), every output
 * token at the output rate, each at the highest tier the prompt size reaches. Never below `costOf` of
 * a usage within those counts.
 */
export function worstCaseCost(price: ModelPrice, inputTokens: number, maxOutputTokens: number): Micros {
  const prompt = nonNegative(inputTokens);
  const inputRate = Math.max(
    highestRateUpTo(price.input, prompt),
    highestRateUpTo(price.cacheRead, prompt),
    highestRateUpTo(price.cacheWrite, prompt),
    highestRateUpTo(price.cacheWrite1h, prompt),
  );
  const picos =
    times(prompt, inputRate) + times(nonNegative(maxOutputTokens), highestRateUpTo(price.output, prompt));
  return picosToMicrosRoundedUp(picos);
}

function times(tokens: number, rate: number): bigint {
  return BigInt(tokens) * BigInt(rate);
}

/** Counts come from our own counting; a negative or fractional one is a bug we round up, not a NaN. */
function nonNegative(count: number): number {
  if (!Number.isFinite(count)) throw new RangeError(`token count ${count} is not finite`);
  return Math.max(0, Math.ceil(count));
}
