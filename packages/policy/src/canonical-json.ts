/**
 * JSON Canonicalization Scheme (RFC 8785): object keys sorted by UTF-16 code units, no whitespace,
 * numbers and strings as ECMAScript serialises them. Equal values always give equal bytes, which is
 * what a content hash needs.
 *
 * Strings and numbers are written by JSON.stringify either way, so when every object's keys already
 * come in sorted order (a parsed canonical body, an event built in key order) JSON.stringify of the
 * whole value is the canonical text, without sorting and rebuilding each object: about three times
 * faster on the audit log's hot paths.
 */
export function canonicalJson(value: unknown): string {
  return alreadyCanonical(value, 0) ? JSON.stringify(value) : sortedJson(value, 0);
}

/**
 * Deeper values are refused with a TypeError rather than walked: recursion (here and in
 * JSON.stringify) would overflow the stack on hostile input. Everything Warden hashes is far shallower.
 */
export const MAX_CANONICAL_DEPTH = 256;

function sortedJson(value: unknown, depth: number): string {
  if (depth > MAX_CANONICAL_DEPTH)
    throw new TypeError(`canonical JSON cannot hold values nested deeper than ${MAX_CANONICAL_DEPTH} levels`);
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonical JSON cannot hold a non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => sortedJson(item, depth + 1)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${sortedJson(v, depth + 1)}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON cannot hold a value of type ${typeof value}`);
}

/**
 * Whether JSON.stringify writes `value` canonically: plain objects with keys in sorted order and no
 * undefined members, finite numbers, no other kinds of value. Anything else (including what
 * canonicalJson refuses) takes the sorting path, which keeps the two paths' results and errors equal.
 */
function alreadyCanonical(value: unknown, depth: number): boolean {
  if (depth > MAX_CANONICAL_DEPTH) return false;
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (const item of value) if (!alreadyCanonical(item, depth + 1)) return false;
    return true;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  let previous: string | undefined;
  // for...in rather than Object.keys: no array per object. Integer-like keys are enumerated first
  // whatever their insertion order, so objects holding them fail the order check and get sorted.
  for (const key in value) {
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
    const member = (value as { readonly [key: string]: unknown })[key];
    if (member === undefined || !alreadyCanonical(member, depth + 1)) return false;
  }
  return true;
}
