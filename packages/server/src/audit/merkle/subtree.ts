import { pow2 } from './bits.js';

/**
 * A perfect (complete) subtree: the 2^level leaves [index * 2^level, (index + 1) * 2^level). Level 0 is a leaf.
 * A store keyed by (level, index) can hold every such node once it is complete, and never has to change it.
 */
export interface SubtreeRef {
  readonly level: number;
  readonly index: number;
}

/** First leaf covered by the subtree. */
export function subtreeBegin(ref: SubtreeRef): number {
  return ref.index * pow2(ref.level);
}

/** One past the last leaf covered by the subtree. */
export function subtreeEnd(ref: SubtreeRef): number {
  return (ref.index + 1) * pow2(ref.level);
}

/** A string that identifies the subtree, for de-duplicating and looking refs up in maps. */
export function subtreeKey(ref: SubtreeRef): string {
  return `${ref.level}:${ref.index}`;
}
