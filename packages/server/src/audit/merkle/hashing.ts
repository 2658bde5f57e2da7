import { createHash, hash } from 'node:crypto';

/** Size in bytes of every hash in the tree (SHA-256). */
export const HASH_SIZE = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = 0x01;

/** The root of the empty tree: SHA-256 of no input (RFC 6962 §2.1). */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

/**
 * RFC 6962 leaf hash: SHA-256(0x00 || data). The prefix keeps a leaf from ever being taken for an interior
 * node (second-preimage resistance). Strings are hashed as their UTF-8 bytes.
 */
export function leafHash(data: string | Uint8Array): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return createHash('sha256').update(LEAF_PREFIX).update(bytes).digest();
}

// Interior hashing dominates appends and proofs, so it reuses one input buffer and the one-shot digest, which is
// about twice as fast as a streaming Hash object per node. Safe to share: hashing is synchronous.
const nodeInput = Buffer.alloc(1 + 2 * HASH_SIZE);
nodeInput[0] = NODE_PREFIX;

/** RFC 6962 interior node hash: SHA-256(0x01 || left || right). Both children must be 32-byte hashes. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    throw new RangeError(`node children must be ${HASH_SIZE}-byte hashes`);
  }
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return hash('sha256', nodeInput, 'buffer');
}

/** True when `value` is a byte array of exactly one hash's length; used to reject malformed input early. */
export function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}

/** Byte equality of two hashes (tree hashes are public, so constant time buys nothing here). */
export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}
