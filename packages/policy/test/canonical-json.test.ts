import { describe, expect, it } from 'vitest';
import { MAX_CANONICAL_DEPTH } from '../src/canonical-json.js';
import { canonicalJson } from '../src/index.js';

/** `[[...[]...]]` nested `levels` deep (or `{"a":{...}}`), built without recursion. */
function nested(levels: number, kind: 'array' | 'object'): unknown {
  let value: unknown = kind === 'array' ? [] : {};
  for (let i = 0; i < levels; i++) value = kind === 'array' ? [value] : { a: value };
  return value;
}

describe('canonicalJson depth', () => {
  it('writes values up to the depth limit', () => {
    expect(canonicalJson(nested(MAX_CANONICAL_DEPTH, 'array'))).toBe(
      `${'['.repeat(MAX_CANONICAL_DEPTH + 1)}${']'.repeat(MAX_CANONICAL_DEPTH + 1)}`,
    );
    expect(canonicalJson({ b: 1, a: nested(MAX_CANONICAL_DEPTH - 1, 'object') })).toMatch(/^\{"a":/);
  });

  for (const kind of ['array', 'object'] as const) {
    it(`refuses ${kind}s nested 100,000 levels deep with a TypeError, not a stack overflow`, () => {
      expect(() => canonicalJson(nested(100_000, kind))).toThrow(
        new TypeError(`canonical JSON cannot hold values nested deeper than ${MAX_CANONICAL_DEPTH} levels`),
      );
    });
  }
});
