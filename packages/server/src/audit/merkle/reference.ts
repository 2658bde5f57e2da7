import { EMPTY_ROOT, HASH_SIZE, isHash, nodeHash } from './hashing.js';

/**
 * The Merkle tree hash of a list of leaf hashes, straight from the recursive definition (RFC 6962 §2.1):
 * MTH of one leaf is its leaf hash; otherwise split at the largest power of two below n and hash the two halves.
 * Linear time, but it needs every leaf: a cross-check for tests and for verifiers of small logs, not for the log.
 */
export function merkleRoot(leafHashes: readonly Uint8Array[]): Buffer {
  if (!leafHashes.every(isHash)) throw new RangeError(`leaf hashes must be ${HASH_SIZE} bytes each`);
  if (leafHashes.length === 0) return Buffer.from(EMPTY_ROOT);
  return rootOf(leafHashes, 0, leafHashes.length);
}

function rootOf(leafHashes: readonly Uint8Array[], begin: number, end: number): Buffer {
  const width = end - begin;
  if (width === 1) return Buffer.from(leafHashes[begin] as Uint8Array);
  let split = 1;
  while (split * 2 < width) split *= 2;
  return nodeHash(rootOf(leafHashes, begin, begin + split), rootOf(leafHashes, begin + split, end));
}
