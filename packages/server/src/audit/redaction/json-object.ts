import type { JsonValue } from '@warden/policy';

/** How deep values are walked: the top-level value is at depth 0, its members at 1, and so on. */
export const MAX_DEPTH = 64;

/**
 * Sets a member on a copy being built. "__proto__" is a legal JSON key, but assigning it would replace the
 * object's prototype, so that one key is defined instead (defining every key is much slower).
 */
export function defineMember(object: { [key: string]: JsonValue }, key: string, value: JsonValue): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    object[key] = value;
  }
}
