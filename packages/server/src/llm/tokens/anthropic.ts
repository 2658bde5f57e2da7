import { countText } from './encoding.js';
import { asArray, asText, isRecord } from './json-text.js';
import { ANTHROPIC_DOCUMENT_TOKENS, ANTHROPIC_IMAGE_TOKENS } from './media.js';

/*
 * Anthropic publishes no tokenizer (its count is an API call, `/v1/messages/count_tokens`), so the
 * local count is an upper-bound estimate: the o200k_base count of the text the model sees, times a
 * safety factor, plus Anthropic's per-message framing, plus the system prompt Anthropic adds when
 * tools are present (346 tokens for current models per Anthropic's tool-use pricing; older models up
 * to 530 — we reserve 600).
 *
 * Why 1.5: Claude's tokenizers are less compact than o200k_base: public comparisons put English
 * prose at 1.1–1.3× and code and non-Latin scripts higher, and Anthropic notes its newest models'
 * tokenizer can use up to 35% more tokens than the previous one. Anthropic's own published counts
 * (two examples, checked in the accuracy test) sit well below this estimate; a real corpus
 * measurement needs the API and is not done here.
 */
export const ANTHROPIC_SAFETY_FACTOR = 1.5;
export const ANTHROPIC_TOKENS_PER_MESSAGE = 5;
export const ANTHROPIC_BASE_TOKENS = 8;
export const ANTHROPIC_TOOL_SYSTEM_PROMPT_TOKENS = 600;

/** An upper-bound estimate of the input tokens of an Anthropic Messages request body. */
export function countAnthropicInput(body: unknown, safetyFactor = ANTHROPIC_SAFETY_FACTOR): number {
  if (!isRecord(body)) return 0;
  const counted = { text: 0, flat: ANTHROPIC_BASE_TOKENS };
  addContent(body.system, counted);
  for (const message of asArray(body.messages)) {
    if (!isRecord(message)) continue;
    counted.flat += ANTHROPIC_TOKENS_PER_MESSAGE;
    addContent(message.content, counted);
  }
  const tools = asArray(body.tools);
  if (tools.length > 0) {
    counted.flat += ANTHROPIC_TOOL_SYSTEM_PROMPT_TOKENS;
    for (const tool of tools) counted.text += countText(asText(tool), 'o200k_base');
  }
  return Math.ceil(counted.text * safetyFactor) + counted.flat;
}

interface Counted {
  text: number;
  flat: number;
}

/** A string or content blocks: text, image, document, tool_use, tool_result, thinking... */
function addContent(content: unknown, counted: Counted): void {
  if (typeof content === 'string') {
    counted.text += countText(content, 'o200k_base');
    return;
  }
  for (const block of asArray(content)) {
    if (!isRecord(block)) continue;
    switch (block.type) {
      case 'text':
        counted.text += countText(asText(block.text), 'o200k_base');
        break;
      case 'image':
        counted.flat += ANTHROPIC_IMAGE_TOKENS;
        break;
      case 'document':
        // A plain-text document is counted as its text; PDFs and other sources flat.
        if (isRecord(block.source) && block.source.type === 'text') {
          counted.text += countText(asText(block.source.data), 'o200k_base');
        } else counted.flat += ANTHROPIC_DOCUMENT_TOKENS;
        break;
      case 'tool_use':
      case 'server_tool_use':
        counted.text +=
          countText(asText(block.name), 'o200k_base') + countText(asText(block.input), 'o200k_base');
        break;
      case 'tool_result':
        addContent(block.content, counted);
        break;
      case 'thinking':
        counted.text += countText(asText(block.thinking), 'o200k_base');
        break;
      default:
        // redacted thinking, search results, blocks we do not know: their JSON as text, an over-count.
        counted.text += countText(asText(block), 'o200k_base');
    }
  }
}
