import type { ModelRoute } from './model-route.js';
import {
  costOf,
  fromAnthropicUsage,
  fromChatCompletionsUsage,
  fromEmbeddingsUsage,
  fromResponsesUsage,
  type ModelUsage,
  NO_USAGE,
  priceFor,
  promptTokensOf,
  worstCaseCost,
} from './pricing/index.js';
import { countText, encodingFor } from './tokens/index.js';

export type { ModelUsage } from './pricing/index.js';
export {
  countAnthropicInput,
  countChatInput,
  countEmbeddingsInput,
  countResponsesInput,
} from './tokens/index.js';

const MICROS_PER_USD = 1_000_000;

/** A routed model's price, in the terms the proxy needs: USD for budgets, tokens for token budgets. */
export interface Costing {
  /** What to reserve: the prompt as counted plus the whole output limit, at the dearest applicable rate. */
  worstCaseUsd(inputTokens: number, maxOutputTokens: number): number;
  /** What the call cost, exact to the micro-dollar (rounded up once). */
  costUsd(usage: ModelUsage): number;
  tokens(usage: ModelUsage): number;
  /** The usage of a call the provider gave no count for (a cut stream): the prompt as counted and the output delivered. */
  counted(inputTokens: number, deliveredText: string): ModelUsage;
}

/**
 * Costings by provider entry (a new entry when its providers change) and model: the price lookup
 * runs once per model, not on every call.
 */
const MAX_CACHED_MODELS = 1_000;
const costings = new WeakMap<ModelRoute['provider'], Map<string, Costing | undefined>>();

/** The route's costing, or undefined when no price is known (the call is refused as `unpriced_model`). */
export function costingFor(route: ModelRoute): Costing | undefined {
  let byModel = costings.get(route.provider);
  if (!byModel) {
    byModel = new Map();
    costings.set(route.provider, byModel);
  }
  if (byModel.has(route.model)) return byModel.get(route.model);
  const costing = priceCosting(route);
  // A provider without a model list routes any name an agent sends: the cache stays bounded.
  if (byModel.size < MAX_CACHED_MODELS) byModel.set(route.model, costing);
  return costing;
}

function priceCosting(route: ModelRoute): Costing | undefined {
  const { provider, model } = route;
  const price = priceFor(provider.kind, model, {
    provider: provider.name,
    models: provider.prices,
    ...(provider.priceTable ? { tableProvider: provider.priceTable } : {}),
  });
  if (!price) return undefined;
  const encoding = encodingFor(model);
  return {
    worstCaseUsd: (inputTokens, maxOutputTokens) =>
      worstCaseCost(price, inputTokens, maxOutputTokens) / MICROS_PER_USD,
    costUsd: (usage) => costOf(price, usage) / MICROS_PER_USD,
    tokens: (usage) => promptTokensOf(usage) + usage.outputTokens,
    counted: (inputTokens, deliveredText) => ({
      ...NO_USAGE,
      inputTokens,
      outputTokens: countText(deliveredText, encoding),
    }),
  };
}

/** A Chat Completions `usage` (answer or last stream chunk), normalised. */
export const usageFromChat = (usage: unknown): ModelUsage | undefined => fromChatCompletionsUsage(usage);
/** A Messages `usage` (answer, or message_start merged with the last message_delta), normalised. */
export const usageFromAnthropic = (usage: unknown): ModelUsage | undefined => fromAnthropicUsage(usage);
/** A Responses `usage` (answer, or the response of `response.completed`), normalised. */
export const usageFromResponses = (usage: unknown): ModelUsage | undefined => fromResponsesUsage(usage);
/** An embeddings `usage` (input only), normalised. */
export const usageFromEmbeddings = (usage: unknown): ModelUsage | undefined => fromEmbeddingsUsage(usage);
