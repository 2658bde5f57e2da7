import type { JsonValue } from '@warden/policy';
import { defineMember, MAX_DEPTH } from './json-object.js';
import type { JsonPath } from './json-path.js';
import { PathMatcher, type PathStates } from './path-matcher.js';

/**
 * `value` with every value selected by one of `paths` replaced by `replace(found)`; selected values are
 * not searched further. The input is not modified: containers on the way to a selected value are copied,
 * the rest is shared. Values nested deeper than MAX_DEPTH are not searched.
 */
export function mapAtPaths(
  value: JsonValue,
  paths: readonly JsonPath[],
  replace: (found: JsonValue) => JsonValue,
): JsonValue {
  const matcher = new PathMatcher(paths);
  const walk = (current: JsonValue, depth: number, states: PathStates): JsonValue => {
    if (current === null || typeof current !== 'object' || states.length === 0 || depth > MAX_DEPTH) {
      return current;
    }
    const member = (child: JsonValue, key: string | number): JsonValue => {
      const next = matcher.child(states, key);
      return next.selected ? replace(child) : walk(child, depth + 1, next.states);
    };
    if (Array.isArray(current)) return current.map((child, index) => member(child, index));
    const copy: { [key: string]: JsonValue } = {};
    for (const [key, child] of Object.entries(current)) defineMember(copy, key, member(child, key));
    return copy;
  };
  return walk(value, 0, matcher.root());
}
