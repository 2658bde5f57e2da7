import { requireCount } from './arguments.js';
import { bitLength, hasBit, MAX_LEVEL, popcount, pow2 } from './bits.js';
import { EMPTY_ROOT, HASH_SIZE, isHash, nodeHash } from './hashing.js';
import { foldFromRight } from './range-hash.js';
import type { SubtreeRef } from './subtree.js';

/** Called for each interior node an append completes, so a store can keep it for later proofs. */
export type NodeListener = (ref: SubtreeRef, hash: Buffer) => void;

/**
 * The compact range [0, size) of a Merkle tree: the roots of its perfect subtrees, one per set bit of size,
 * largest (leftmost) first. That is all the state needed to keep appending and to compute the root, whatever the
 * size: at most 53 hashes.
 */
export class CompactRange {
  #size: number;
  // Kept as a stack: appends only ever merge into or push onto the smallest (last) root.
  readonly #hashes: Buffer[];

  private constructor(size: number, hashes: Buffer[]) {
    this.#size = size;
    this.#hashes = hashes;
  }

  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  /** Restores a range from its size and subtree roots (largest first), e.g. as persisted after the last append. */
  static from(size: number, hashes: readonly Uint8Array[]): CompactRange {
    requireCount(size, 'size');
    const expected = popcount(size);
    if (hashes.length !== expected) {
      throw new RangeError(`a range of size ${size} has ${expected} subtree roots, got ${hashes.length}`);
    }
    if (!hashes.every(isHash)) throw new RangeError(`subtree roots must be ${HASH_SIZE}-byte hashes`);
    return new CompactRange(
      size,
      hashes.map((h) => Buffer.from(h)),
    );
  }

  get size(): number {
    return this.#size;
  }

  /** The subtree roots, largest first (copies: the range's own state cannot be changed through them). */
  get hashes(): readonly Buffer[] {
    return this.#hashes.map((h) => Buffer.from(h));
  }

  /** Appends one leaf hash (see leafHash). */
  appendLeaf(hash: Uint8Array, onNode?: NodeListener): void {
    this.appendSubtree(0, hash, onNode);
  }

  /**
   * Appends a perfect subtree of 2^level leaves whose root is `hash`; the range must end on a multiple of 2^level
   * for the subtree to be aligned. onNode hears of each node built by merging (level above `level`), not of the
   * appended subtree itself, which the caller already has.
   */
  appendSubtree(level: number, hash: Uint8Array, onNode?: NodeListener): void {
    if (!Number.isInteger(level) || level < 0 || level > MAX_LEVEL) {
      throw new RangeError(`level must be an integer in [0, ${MAX_LEVEL}], got ${String(level)}`);
    }
    if (!isHash(hash)) throw new RangeError(`a subtree root must be a ${HASH_SIZE}-byte hash`);
    const width = pow2(level);
    if (this.#size % width !== 0) {
      throw new RangeError(`a subtree of level ${level} cannot start at leaf ${this.#size}`);
    }
    if (this.#size + width > Number.MAX_SAFE_INTEGER)
      throw new RangeError('the tree would outgrow safe integers');

    // Nothing changes until every listener has returned, so a listener that throws leaves the range as it was.
    let merged: Buffer | undefined;
    let mergedLevel = level;
    let index = this.#size / width;
    let consumed = 0;
    // A set bit at the merged level means an existing root of that same level sits just to the left.
    while (hasBit(this.#size, mergedLevel)) {
      consumed += 1;
      merged = nodeHash(this.#hashes[this.#hashes.length - consumed] as Buffer, merged ?? hash);
      mergedLevel += 1;
      index = Math.floor(index / 2);
      onNode?.({ level: mergedLevel, index }, merged);
    }
    this.#hashes.length -= consumed;
    // The caller's buffer is copied when kept, so changing it later cannot reach the range.
    this.#hashes.push(merged ?? Buffer.from(hash));
    this.#size += width;
  }

  /** The RFC 6962 Merkle tree hash of [0, size). */
  root(): Buffer {
    return this.#hashes.length === 0 ? Buffer.from(EMPTY_ROOT) : foldFromRight(this.#hashes);
  }

  /** The subtree refs that `hashes` are the roots of, largest first. */
  refs(): SubtreeRef[] {
    const refs: SubtreeRef[] = [];
    let begin = 0;
    for (let level = bitLength(this.#size) - 1; level >= 0; level--) {
      if (!hasBit(this.#size, level)) continue;
      refs.push({ level, index: begin / pow2(level) });
      begin += pow2(level);
    }
    return refs;
  }

  /** An independent copy: appends to either leave the other unchanged. */
  clone(): CompactRange {
    return new CompactRange(this.#size, this.#hashes.slice());
  }
}
