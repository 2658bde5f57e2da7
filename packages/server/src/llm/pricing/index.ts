export { costOf, worstCaseCost } from './cost.js';
export type { ModelPrice, PriceSource, RateTier, TieredRate } from './model-price.js';
export { type ModelUsage, NO_USAGE, promptTokensOf } from './model-usage.js';
export { formatMicros, type Micros, type PicosPerToken, picosPerToken } from './money.js';
export { PROVIDER_KINDS, type ProviderKind, priceFor } from './price-for.js';
export { overridePrice, type PriceOverride, type ProviderPricing } from './price-overrides.js';
export { AnthropicStreamUsage, fromAnthropicUsage } from './usage-anthropic.js';
export { fromChatCompletionsUsage, fromEmbeddingsUsage, fromResponsesUsage } from './usage-openai.js';
