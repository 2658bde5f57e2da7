import { requireCount } from './arguments.js';
import { bitLength, pow2, trailingZeros } from './bits.js';
import type { SubtreeRef } from './subtree.js';

/**
 * The aligned perfect subtrees covering the leaves [begin, end), left to right: the fewest such subtrees, levels
 * first rising (as far as begin's alignment allows) then falling (as the end comes near). Taking, at every step,
 * the largest subtree that starts at the current position and still fits yields exactly that shape.
 */
export function rangeDecomposition(begin: number, end: number): SubtreeRef[] {
  requireCount(begin, 'begin');
  requireCount(end, 'end');
  if (begin > end) throw new RangeError(`begin ${begin} is past end ${end}`);
  const refs: SubtreeRef[] = [];
  let position = begin;
  while (position < end) {
    const fitLevel = bitLength(end - position) - 1;
    const level = position === 0 ? fitLevel : Math.min(trailingZeros(position), fitLevel);
    const width = pow2(level);
    refs.push({ level, index: position / width });
    position += width;
  }
  return refs;
}
