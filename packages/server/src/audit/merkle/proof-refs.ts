import { requireCount } from './arguments.js';
import { largestPowerOfTwoBelow, trailingZeros } from './bits.js';
import { rangeDecomposition } from './decomposition.js';
import type { SubtreeRef } from './subtree.js';

// Both proofs walk the RFC 9162 recursion from the root down over absolute leaf ranges [begin, end), splitting at
// the largest power of two below the width. Each step contributes one proof element: the hash of the half the
// walk does not enter. Written as loops (top-down), then reversed into the RFC's leaf-to-root order. Every
// element is expressed as the perfect subtrees whose nested hash it is, since those are all a store can read.

/** The left half [begin, begin + width) of a split is always one perfect subtree. */
function leftHalf(begin: number, width: number): SubtreeRef[] {
  return [{ level: trailingZeros(width), index: begin / width }];
}

/**
 * For each element of the RFC 9162 inclusion proof (PATH) of leaf `index` in the tree of `size` leaves, leaf to
 * root: the perfect subtrees whose range hash is that element. A single subtree when the sibling is perfect,
 * several when it is the incomplete right edge of the tree.
 */
export function inclusionProofRefs(index: number, size: number): SubtreeRef[][] {
  requireCount(index, 'index');
  requireCount(size, 'size');
  if (index >= size) throw new RangeError(`leaf ${index} is not in a tree of ${size} leaves`);
  const topDown: SubtreeRef[][] = [];
  let begin = 0;
  let end = size;
  while (end - begin > 1) {
    const split = begin + largestPowerOfTwoBelow(end - begin);
    if (index < split) {
      topDown.push(rangeDecomposition(split, end));
      end = split;
    } else {
      topDown.push(leftHalf(begin, split - begin));
      begin = split;
    }
  }
  return topDown.reverse();
}

/**
 * For each element of the RFC 9162 consistency proof (SUBPROOF) between trees of `from` and `to` leaves, in proof
 * order: the perfect subtrees whose range hash is that element. Empty when from is 0 or equals to.
 */
export function consistencyProofRefs(from: number, to: number): SubtreeRef[][] {
  requireCount(from, 'from');
  requireCount(to, 'to');
  if (from > to) throw new RangeError(`tree size ${from} is past ${to}`);
  if (from === 0 || from === to) return [];
  const topDown: SubtreeRef[][] = [];
  let begin = 0;
  let end = to;
  // RFC 9162's flag b: the old tree's root is the verifier's own, so it is left out while the walk has only
  // gone left (the old tree is still a prefix of the node being split).
  let onLeftEdge = true;
  while (from !== end) {
    const split = begin + largestPowerOfTwoBelow(end - begin);
    if (from <= split) {
      topDown.push(rangeDecomposition(split, end));
      end = split;
    } else {
      topDown.push(leftHalf(begin, split - begin));
      begin = split;
      onLeftEdge = false;
    }
  }
  // The walk ends on the subtree the old tree ends with; the verifier needs its hash unless it is the whole old tree.
  if (!onLeftEdge) topDown.push(rangeDecomposition(begin, end));
  return topDown.reverse();
}
