import { countText, encodingFor } from './encoding.js';
import { isRecord } from './json-text.js';

/**
 * Input tokens of an OpenAI embeddings request body: `input` is a string, an array of strings, an
 * array of token ids, or an array of such arrays; token ids count one each. No per-input overhead is
 * billed for embeddings.
 */
export function countEmbeddingsInput(body: unknown): number {
  if (!isRecord(body)) return 0;
  const encoding = encodingFor(typeof body.model === 'string' ? body.model : undefined);
  const count = (input: unknown): number => {
    if (typeof input === 'string') return countText(input, encoding);
    if (typeof input === 'number') return 1;
    if (Array.isArray(input)) return input.reduce<number>((sum, item) => sum + count(item), 0);
    return 0;
  };
  return count(body.input);
}
