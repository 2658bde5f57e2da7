import { isCount } from './arguments.js';
import { popcount } from './bits.js';
import { EMPTY_ROOT, isHash, nodeHash, sameHash } from './hashing.js';

// The verifiers take whatever a client received over the wire, so they check shapes themselves and answer
// false (or undefined) instead of throwing. They follow RFC 9162 §2.1.3.2 and §2.1.4.2 step by step, with
// halving in place of right shifts so that sizes above 2^32 work.

function isProof(proof: unknown): proof is readonly Uint8Array[] {
  return Array.isArray(proof) && proof.every(isHash);
}

function isOdd(n: number): boolean {
  return n % 2 === 1;
}

/**
 * The root that an inclusion proof leads to from leaf hash `leaf` at `index` in a tree of `size` leaves, or
 * undefined when the proof cannot be for that position (wrong length, malformed hashes, index out of range).
 */
export function rootFromInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
): Buffer | undefined {
  if (!isHash(leaf) || !isCount(index) || !isCount(size) || index >= size || !isProof(proof))
    return undefined;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      // Levels where this node has no right sibling are skipped: the RFC 6962 tree promotes such nodes unchanged.
      while (!isOdd(fn) && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

/** Whether `proof` shows leaf hash `leaf` at `index` in the tree of `size` leaves whose root is `root`. */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  const computed = rootFromInclusion(leaf, index, size, proof);
  return computed !== undefined && isHash(root) && sameHash(computed, root);
}

/**
 * Whether `proof` shows that the tree of `from` leaves with root `fromRoot` is a prefix of the tree of `to`
 * leaves with root `toRoot`. Equal sizes need an empty proof and equal roots; the empty tree is a prefix of
 * every tree, with an empty proof.
 */
export function verifyConsistency(
  from: number,
  to: number,
  fromRoot: Uint8Array,
  toRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (
    !isCount(from) ||
    !isCount(to) ||
    from > to ||
    !isHash(fromRoot) ||
    !isHash(toRoot) ||
    !isProof(proof)
  ) {
    return false;
  }
  if (from === 0) return proof.length === 0 && sameHash(fromRoot, EMPTY_ROOT);
  if (from === to) return proof.length === 0 && sameHash(fromRoot, toRoot);
  if (proof.length === 0) return false;

  // When the old tree is a perfect subtree on the left edge, the proof leaves out its root: the verifier has it.
  const path = popcount(from) === 1 ? [fromRoot, ...proof] : proof;
  let fn = from - 1;
  let sn = to - 1;
  while (isOdd(fn)) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Buffer = Buffer.from(path[0] as Uint8Array);
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && sameHash(fr, fromRoot) && sameHash(sr, toRoot);
}
