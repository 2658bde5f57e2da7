import type { JsonValue } from '@warden/policy';
import { MAX_DEPTH } from './redaction/index.js';

/**
 * A value as stored when its JSON is at most `maxBytes` long; otherwise a marker with its size and the
 * start of its text. Agents may report whole documents as output; the trail keeps what identifies it.
 * A value nested deeper than the redactor walks (MAX_DEPTH) becomes a marker too, checked before
 * anything recurses into it: serialising it could overflow the stack.
 */
export function capJson(value: JsonValue, maxBytes: number): JsonValue {
  if (deeperThan(value, MAX_DEPTH)) {
    return { $truncated: { reason: `nested deeper than ${MAX_DEPTH} levels` } };
  }
  const text = JSON.stringify(value);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return value;
  return { $truncated: { bytes, preview: Buffer.from(text, 'utf8').subarray(0, maxBytes).toString('utf8') } };
}

/** Whether an object or array sits more than `levels` below the top of `value`; recursion stops there. */
export function deeperThan(value: unknown, levels: number, depth = 0): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth > levels) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (deeperThan(item, levels, depth + 1)) return true;
    return false;
  }
  for (const key in value) {
    if (deeperThan((value as Record<string, unknown>)[key], levels, depth + 1)) return true;
  }
  return false;
}
