export { ANTHROPIC_SAFETY_FACTOR, countAnthropicInput } from './anthropic.js';
export { countChatInput } from './chat.js';
export { countEmbeddingsInput } from './embeddings.js';
export { countText, type EncodingName, encodingFor } from './encoding.js';
export { countResponsesInput } from './responses.js';
