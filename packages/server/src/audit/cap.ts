import type { JsonValue } from '@warden/policy';

/**
 * A value as stored when its JSON is at most `maxBytes` long; otherwise a marker with its size and the
 * start of its text. Agents may report whole documents as output; the trail keeps what identifies it.
 */
export function capJson(value: JsonValue, maxBytes: number): JsonValue {
  const text = JSON.stringify(value);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return value;
  return { $truncated: { bytes, preview: Buffer.from(text, 'utf8').subarray(0, maxBytes).toString('utf8') } };
}
