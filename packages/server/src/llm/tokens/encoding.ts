import { countTokens as countCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';

export type EncodingName = 'o200k_base' | 'cl100k_base';

/**
 * OpenAI's older models (gpt-4, gpt-3.5, the text-embedding family) use cl100k_base; gpt-4o, gpt-4.1,
 * gpt-4.5, the o-series, gpt-5 and everything newer use o200k_base, which is also our default for
 * model ids we do not know (OpenAI-compatible servers run other tokenizers: the count is then an
 * estimate, like Anthropic's).
 */
const CL100K_MODELS =
  /^(?:gpt-4(?![o.\d])|gpt-4-|gpt-3\.5|text-embedding-(?:3|ada)|text-davinci|davinci|babbage)/;

export function encodingFor(model: string | undefined): EncodingName {
  return model !== undefined && CL100K_MODELS.test(model.toLowerCase().trim()) ? 'cl100k_base' : 'o200k_base';
}

/**
 * Tokens of `text` in `encoding`. Special-token text (`<|endoftext|>`) in user input is counted as the
 * plain text it is sent as, never rejected: counting must not throw on what an agent sends.
 */
export function countText(text: string, encoding: EncodingName): number {
  if (text === '') return 0;
  const count = encoding === 'cl100k_base' ? countCl100k : countO200k;
  return count(text, { allowedSpecial: new Set(), disallowedSpecial: new Set() });
}
