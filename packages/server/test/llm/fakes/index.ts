export {
  type AnthropicReply,
  type AnthropicUsage,
  FAKE_ANTHROPIC_KEY,
  type FakeAnthropic,
  type FakeAnthropicOptions,
  startFakeAnthropic,
} from './anthropic-fake.js';
export type { RecordedRequest, Timing } from './http-kit.js';
export {
  FAKE_OPENAI_KEY,
  type FakeOpenAi,
  type FakeOpenAiOptions,
  type OpenAiReply,
  type OpenAiUsage,
  startFakeOpenAi,
} from './openai-fake.js';
export { type ScriptedFailure, type ScriptedReply, type ScriptedToolCall, tokensOf } from './script.js';
