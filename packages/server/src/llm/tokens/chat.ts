import { countText, type EncodingName, encodingFor } from './encoding.js';
import { asArray, asText, isRecord } from './json-text.js';
import { FILE_TOKENS, OPENAI_AUDIO_TOKENS, openAiImageTokens } from './media.js';

/*
 * OpenAI's documented chat overhead (the OpenAI cookbook's "How to count tokens with tiktoken"):
 * every message costs 3 tokens around its role and content, a `name` 1 more, and every reply is
 * primed with 3. Tool definitions are rendered by OpenAI into a TypeScript-like namespace we do not
 * reproduce; counting their JSON plus a fixed overhead per tool over-counts them a little (measured
 * in the accuracy test), which is the safe side for a reservation.
 */
export const TOKENS_PER_MESSAGE = 3;
export const TOKENS_PER_NAME = 1;
export const REPLY_PRIMING_TOKENS = 3;
/** Around the tools block, and around each tool definition. */
export const TOOLS_OVERHEAD_TOKENS = 12;
export const TOKENS_PER_TOOL = 8;
/** Around each tool call an assistant message carries. */
export const TOKENS_PER_TOOL_CALL = 8;

/** Input tokens of an OpenAI Chat Completions request body, before it is sent. */
export function countChatInput(body: unknown): number {
  if (!isRecord(body)) return 0;
  const model = typeof body.model === 'string' ? body.model : undefined;
  const encoding = encodingFor(model);
  let tokens = REPLY_PRIMING_TOKENS;
  for (const message of asArray(body.messages)) tokens += messageTokens(message, encoding, model);
  tokens += toolDefinitionTokens([...asArray(body.tools), ...asArray(body.functions)], encoding);
  // A JSON schema for structured output is given to the model in its prompt.
  const format = isRecord(body.response_format) ? body.response_format : undefined;
  if (format?.type === 'json_schema') tokens += countText(asText(format.json_schema), encoding);
  return tokens;
}

function messageTokens(message: unknown, encoding: EncodingName, model: string | undefined): number {
  if (!isRecord(message)) return 0;
  let tokens = TOKENS_PER_MESSAGE + countText(asText(message.role), encoding);
  if (typeof message.name === 'string') tokens += TOKENS_PER_NAME + countText(message.name, encoding);
  tokens += contentTokens(message.content, encoding, model);
  for (const call of asArray(message.tool_calls)) {
    const fn = isRecord(call) ? call.function : undefined;
    tokens += TOKENS_PER_TOOL_CALL + countText(asText(isRecord(fn) ? fn.name : undefined), encoding);
    tokens += countText(asText(isRecord(fn) ? fn.arguments : undefined), encoding);
  }
  if (isRecord(message.function_call)) {
    tokens += TOKENS_PER_TOOL_CALL + countText(asText(message.function_call.name), encoding);
    tokens += countText(asText(message.function_call.arguments), encoding);
  }
  return tokens;
}

/** A message's `content`: a string, or parts (text, image_url, input_audio, file, refusal). */
function contentTokens(content: unknown, encoding: EncodingName, model: string | undefined): number {
  if (typeof content === 'string') return countText(content, encoding);
  let tokens = 0;
  for (const part of asArray(content)) {
    if (!isRecord(part)) continue;
    switch (part.type) {
      case 'text':
        tokens += countText(asText(part.text), encoding);
        break;
      case 'refusal':
        tokens += countText(asText(part.refusal), encoding);
        break;
      case 'image_url':
        tokens += openAiImageTokens(model, isRecord(part.image_url) ? part.image_url.detail : undefined);
        break;
      case 'input_audio':
        tokens += OPENAI_AUDIO_TOKENS;
        break;
      case 'file':
        tokens += FILE_TOKENS;
        break;
      default:
        // A part type we do not know: what it says, as JSON (base64 payloads included, so large).
        tokens += countText(asText(part), encoding);
    }
  }
  return tokens;
}

/** Tool (and legacy function) definitions, as their JSON plus a fixed overhead. */
export function toolDefinitionTokens(tools: readonly unknown[], encoding: EncodingName): number {
  if (tools.length === 0) return 0;
  let tokens = TOOLS_OVERHEAD_TOKENS;
  for (const tool of tools) tokens += TOKENS_PER_TOOL + countText(asText(tool), encoding);
  return tokens;
}
