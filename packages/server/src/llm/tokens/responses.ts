import {
  REPLY_PRIMING_TOKENS,
  TOKENS_PER_MESSAGE,
  TOKENS_PER_TOOL_CALL,
  toolDefinitionTokens,
} from './chat.js';
import { countText, type EncodingName, encodingFor } from './encoding.js';
import { asArray, asText, isRecord } from './json-text.js';
import { FILE_TOKENS, OPENAI_AUDIO_TOKENS, openAiImageTokens } from './media.js';

/**
 * Input tokens of an OpenAI Responses request body, before it is sent: `instructions`, `input` (a
 * string or items: messages with content parts, function calls and their outputs, reasoning items),
 * tools and a structured-output schema, with the chat overhead per item. Earlier turns referenced by
 * `previous_response_id` or a `conversation` are stored by OpenAI and cannot be counted here: the
 * count is then short, which the caller must allow for (see docs/llm-pricing.md).
 */
export function countResponsesInput(body: unknown): number {
  if (!isRecord(body)) return 0;
  const model = typeof body.model === 'string' ? body.model : undefined;
  const encoding = encodingFor(model);
  let tokens = REPLY_PRIMING_TOKENS;
  if (typeof body.instructions === 'string')
    tokens += TOKENS_PER_MESSAGE + countText(body.instructions, encoding);
  if (typeof body.input === 'string') tokens += TOKENS_PER_MESSAGE + countText(body.input, encoding);
  else for (const item of asArray(body.input)) tokens += itemTokens(item, encoding, model);
  tokens += toolDefinitionTokens(asArray(body.tools), encoding);
  const format = isRecord(body.text) && isRecord(body.text.format) ? body.text.format : undefined;
  if (format?.type === 'json_schema') tokens += countText(asText(format.schema), encoding);
  return tokens;
}

function itemTokens(item: unknown, encoding: EncodingName, model: string | undefined): number {
  if (!isRecord(item)) return 0;
  switch (item.type ?? 'message') {
    case 'message':
      return (
        TOKENS_PER_MESSAGE +
        countText(asText(item.role), encoding) +
        contentTokens(item.content, encoding, model)
      );
    case 'function_call':
      return (
        TOKENS_PER_TOOL_CALL +
        countText(asText(item.name), encoding) +
        countText(asText(item.arguments), encoding)
      );
    case 'function_call_output':
    case 'custom_tool_call_output':
      return TOKENS_PER_MESSAGE + contentTokens(item.output, encoding, model);
    case 'reasoning':
      // Reasoning carried between turns: its summary text is what can be counted (an encrypted
      // payload is counted as its text, an over-count).
      return (
        TOKENS_PER_MESSAGE +
        asArray(item.summary).reduce<number>(
          (sum, part) => sum + countText(asText(isRecord(part) ? part.text : part), encoding),
          0,
        ) +
        countText(asText(item.encrypted_content), encoding)
      );
    case 'item_reference':
      return 0; // a stored item: not countable here
    default:
      return TOKENS_PER_MESSAGE + countText(asText(item), encoding);
  }
}

/** A string, or parts: input_text/output_text, input_image, input_file, input_audio, refusal. */
function contentTokens(content: unknown, encoding: EncodingName, model: string | undefined): number {
  if (typeof content === 'string') return countText(content, encoding);
  let tokens = 0;
  for (const part of asArray(content)) {
    if (!isRecord(part)) continue;
    switch (part.type) {
      case 'input_text':
      case 'output_text':
        tokens += countText(asText(part.text), encoding);
        break;
      case 'refusal':
        tokens += countText(asText(part.refusal), encoding);
        break;
      case 'input_image':
        tokens += openAiImageTokens(model, part.detail);
        break;
      case 'input_file':
        tokens += FILE_TOKENS;
        break;
      case 'input_audio':
        tokens += OPENAI_AUDIO_TOKENS;
        break;
      default:
        tokens += countText(asText(part), encoding);
    }
  }
  return tokens;
}
