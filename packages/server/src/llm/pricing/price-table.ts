import { calcPrice, type ModelPrice as TableModelPrice } from '@pydantic/genai-prices';
import type { ModelPrice, TieredRate } from './model-price.js';
import { picosPerToken } from './money.js';

/*
 * The maintained price table: @pydantic/genai-prices with its bundled data. We never call its
 * `updatePrices`, so it never fetches anything: prices change when the dependency is upgraded, which
 * is a reviewed change. We use it to find a model's price entry (its matching handles dated snapshots
 * such as `gpt-4o-2024-08-06` → `gpt-4o` and conditional prices by date) and do the arithmetic
 * ourselves in exact integers, because its `calcPrice` sums floats.
 */

const APPLIED_KEYS = new Set([
  'input_mtok',
  'cache_read_mtok',
  'cache_write_mtok',
  'cache_write_1h_mtok',
  'output_mtok',
]);

/**
 * The table's price for `model` under the table provider `providerId` (`openai`, `anthropic`,
 * `groq`...), at `at` (prices with a start date), or undefined when the table has none. An entry
 * without an input price (per-request or audio-hour models) counts as unpriced here.
 */
export function tablePrice(providerId: string, model: string, at: Date = new Date()): ModelPrice | undefined {
  let found: ReturnType<typeof calcPrice>;
  try {
    found = calcPrice({}, model, { providerId, timestamp: at });
  } catch {
    return undefined; // an entry the library itself rejects is no price we can trust
  }
  if (found === null) return undefined;
  const prices = found.model_price;
  const input = tieredRate(prices.input_mtok);
  if (input === undefined) return undefined;
  // A missing cache price means the provider gives no cache discount: those tokens cost the input
  // rate (one-hour writes fall back to the ordinary write rate). A missing output price is 0: only
  // input-only models (embeddings) lack one in the table.
  const cacheWrite = tieredRate(prices.cache_write_mtok) ?? input;
  return {
    provider: found.provider.id,
    model: found.model.id,
    source: 'table',
    input,
    cacheRead: tieredRate(prices.cache_read_mtok) ?? input,
    cacheWrite,
    cacheWrite1h: tieredRate(prices.cache_write_1h_mtok) ?? cacheWrite,
    output: tieredRate(prices.output_mtok) ?? { base: 0, tiers: [] },
    unappliedPriceKeys: Object.keys(prices)
      .filter((key) => !APPLIED_KEYS.has(key) && prices[key] !== undefined)
      .sort(),
  };
}

function tieredRate(value: TableModelPrice[string]): TieredRate | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return { base: picosPerToken(value), tiers: [] };
  return {
    base: picosPerToken(value.base),
    tiers: [...value.tiers]
      .sort((a, b) => a.start - b.start)
      .map((tier) => ({ above: tier.start, rate: picosPerToken(tier.price) })),
  };
}
