import type { ModelPrice } from './model-price.js';
import { overrideFor, type ProviderPricing } from './price-overrides.js';
import { tablePrice } from './price-table.js';

/**
 * The kinds of upstream the proxy speaks to. `openai-compatible` is an OpenAI-shaped API of another
 * vendor or a self-hosted server: the table's OpenAI prices say nothing about it.
 */
export const PROVIDER_KINDS = ['openai', 'anthropic', 'openai-compatible'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/**
 * The price of `model` (as the provider names it, dated snapshots included) at a provider of `kind`,
 * or undefined: the model is unpriced and the call must be denied (`unpriced_model`), never run at $0.
 *
 * The operator's override wins; then the table: under `openai` or `anthropic` for those kinds, and
 * for `openai-compatible` only under the table provider the operator named (`tableProvider`), never
 * under OpenAI's prices by default.
 */
export function priceFor(
  kind: ProviderKind,
  model: string,
  overrides?: ProviderPricing,
  at: Date = new Date(),
): ModelPrice | undefined {
  const override = overrideFor(overrides, model);
  if (override !== undefined) return override;
  const tableProvider = kind === 'openai-compatible' ? overrides?.tableProvider : kind;
  if (tableProvider === undefined || model.trim() === '') return undefined;
  return tablePrice(tableProvider, model, at);
}
