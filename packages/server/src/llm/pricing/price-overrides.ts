import type { ModelPrice } from './model-price.js';
import { flatRate, type TieredRate } from './model-price.js';
import { picosPerToken } from './money.js';

/** An operator's price for one model, in USD per million tokens, as a config file would hold it. */
export interface PriceOverride {
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
  /** Cache reads; when absent they cost the input price (no discount assumed). */
  readonly cacheReadPerMTok?: number;
  /** Cache writes; when absent they cost the input price. */
  readonly cacheWritePerMTok?: number;
  /** One-hour cache writes (Anthropic); when absent they cost the cache-write price. */
  readonly cacheWrite1hPerMTok?: number;
}

/**
 * One provider's pricing configuration: its operator-set prices by model id, and, for an
 * `openai-compatible` provider, the table provider id (`groq`, `deepseek`, `mistral`...) whose prices
 * apply to models it has no override for.
 */
export interface ProviderPricing {
  /** The provider's name in the operator's configuration, reported as the price's provider. */
  readonly provider?: string;
  readonly models?: Readonly<Record<string, PriceOverride>>;
  readonly tableProvider?: string;
}

/**
 * The override for `model`: its exact id first (case-insensitive), then the id without a date
 * suffix, so a price set for `claude-sonnet-4-5` also covers `claude-sonnet-4-5-20250929` and one for
 * `gpt-4o` covers `gpt-4o-2024-08-06` (a price set for the dated id wins over the undated one).
 */
export function overrideFor(pricing: ProviderPricing | undefined, model: string): ModelPrice | undefined {
  const models = pricing?.models;
  if (models === undefined) return undefined;
  const byLowerId = new Map(Object.entries(models).map(([id, price]) => [id.toLowerCase(), { id, price }]));
  const wanted = model.toLowerCase().trim();
  const found = byLowerId.get(wanted) ?? byLowerId.get(withoutDateSuffix(wanted));
  if (found === undefined) return undefined;
  return overridePrice(pricing?.provider ?? 'operator', found.id, found.price);
}

/** An override as a ModelPrice. Throws a RangeError naming the field when a price is invalid. */
export function overridePrice(provider: string, model: string, override: PriceOverride): ModelPrice {
  const rate = (name: keyof PriceOverride, value: number | undefined): TieredRate | undefined => {
    if (value === undefined) return undefined;
    try {
      return flatRate(picosPerToken(value));
    } catch {
      throw new RangeError(
        `price of ${provider}/${model}: ${name} must be a non-negative number of USD per million tokens`,
      );
    }
  };
  const input = rate('inputPerMTok', override.inputPerMTok) ?? missing(provider, model, 'inputPerMTok');
  const output = rate('outputPerMTok', override.outputPerMTok) ?? missing(provider, model, 'outputPerMTok');
  const cacheWrite = rate('cacheWritePerMTok', override.cacheWritePerMTok) ?? input;
  return {
    provider,
    model,
    source: 'override',
    input,
    cacheRead: rate('cacheReadPerMTok', override.cacheReadPerMTok) ?? input,
    cacheWrite,
    cacheWrite1h: rate('cacheWrite1hPerMTok', override.cacheWrite1hPerMTok) ?? cacheWrite,
    output,
    unappliedPriceKeys: [],
  };
}

function missing(provider: string, model: string, name: string): never {
  throw new RangeError(`price of ${provider}/${model}: ${name} is required`);
}

/** `-2024-08-06` or `-20250929` at the end of a model id, as providers date their snapshots. */
const DATE_SUFFIX = /-(?:\d{4}-\d{2}-\d{2}|\d{8})$/;

export function withoutDateSuffix(model: string): string {
  return model.replace(DATE_SUFFIX, '');
}
