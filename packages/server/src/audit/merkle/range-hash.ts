import { isHash, nodeHash } from './hashing.js';
import { type SubtreeRef, subtreeBegin, subtreeEnd } from './subtree.js';

/**
 * The RFC 6962 hash of the leaves [k, n) as a subtree of a larger tree, from the hashes of its decomposition
 * (left to right). Such a range appears in proofs as the right edge of a tree: its subtrees shrink strictly from
 * left to right, and its hash nests them from the right, H(h0, H(h1, ... hk)). Ranges of any other shape have no
 * RFC 6962 hash, so they are refused rather than given a meaningless one.
 */
export function hashOfRange(refs: readonly SubtreeRef[], hashes: readonly Uint8Array[]): Buffer {
  if (refs.length === 0) throw new RangeError('an empty range has no subtree hash');
  if (refs.length !== hashes.length) {
    throw new RangeError(`${refs.length} subtrees but ${hashes.length} hashes`);
  }
  for (let i = 1; i < refs.length; i++) {
    const previous = refs[i - 1] as SubtreeRef;
    const current = refs[i] as SubtreeRef;
    if (current.level >= previous.level || subtreeBegin(current) !== subtreeEnd(previous)) {
      throw new RangeError('subtrees must be contiguous and strictly shrinking from left to right');
    }
  }
  return foldFromRight(hashes);
}

/** H(h0, H(h1, ... hk)) over a non-empty list of 32-byte hashes. */
export function foldFromRight(hashes: readonly Uint8Array[]): Buffer {
  const last = hashes[hashes.length - 1];
  if (!isHash(last)) throw new RangeError('expected a non-empty list of 32-byte hashes');
  let accumulator: Buffer = Buffer.from(last);
  for (let i = hashes.length - 2; i >= 0; i--) {
    accumulator = nodeHash(hashes[i] as Uint8Array, accumulator);
  }
  return accumulator;
}
