import { canonicalJson } from '@warden/policy';

/**
 * canonicalJson(value) for a value from JSON.parse, faster on the usual input. canonicalJson writes
 * every string and number through JSON.stringify and only reorders object keys, so when every
 * object's keys already come in sorted order (as in a parsed canonical body), JSON.stringify gives the
 * same text without sorting and rebuilding each object. Keys that look like array indices do not keep
 * their order in JavaScript objects, so such objects take canonicalJson's path.
 */
export function canonicalText(value: unknown): string {
  return keysInOrder(value) ? JSON.stringify(value) : canonicalJson(value);
}

/** Whether `text` is the RFC 8785 canonical JSON of `value`, its JSON.parse. */
export function isCanonicalJsonText(text: string, value: unknown): boolean {
  return canonicalText(value) === text;
}

function keysInOrder(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (!keysInOrder(item)) return false;
    return true;
  }
  let previous: string | undefined;
  // for...in rather than Object.keys: no array per object, and a parsed object has no inherited keys.
  for (const key in value) {
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
    if (!keysInOrder((value as { readonly [key: string]: unknown })[key])) return false;
  }
  return true;
}
