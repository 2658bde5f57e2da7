import { HASH_SIZE, isHash } from './hashing.js';
import { consistencyProofRefs, inclusionProofRefs } from './proof-refs.js';
import { hashOfRange } from './range-hash.js';
import { type SubtreeRef, subtreeKey } from './subtree.js';

/**
 * Reads the hashes of perfect subtrees from a store, one hash per ref and in the same order. Proofs call it
 * once per proof, so a database can answer in a single query.
 */
export type SubtreeReader = (refs: readonly SubtreeRef[]) => Promise<readonly Uint8Array[]>;

/** The RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves, leaf to root. */
export async function inclusionProof(index: number, size: number, read: SubtreeReader): Promise<Buffer[]> {
  return assemble(inclusionProofRefs(index, size), read);
}

/** The RFC 9162 consistency proof from the tree of `from` leaves to the tree of `to` leaves. */
export async function consistencyProof(from: number, to: number, read: SubtreeReader): Promise<Buffer[]> {
  return assemble(consistencyProofRefs(from, to), read);
}

async function assemble(elements: readonly SubtreeRef[][], read: SubtreeReader): Promise<Buffer[]> {
  // A proof with nothing in it (a one-leaf tree, or equal sizes) needs no round trip to the store.
  if (elements.length === 0) return [];
  const unique = new Map<string, SubtreeRef>();
  for (const refs of elements) {
    for (const ref of refs) unique.set(subtreeKey(ref), ref);
  }
  const wanted = [...unique.values()];
  const hashes = await read(wanted);
  if (hashes.length !== wanted.length) {
    throw new Error(`the store returned ${hashes.length} hashes for ${wanted.length} subtrees`);
  }
  const byKey = new Map<string, Uint8Array>();
  wanted.forEach((ref, i) => {
    const hash = hashes[i];
    if (!isHash(hash)) {
      throw new Error(`the store returned no ${HASH_SIZE}-byte hash for subtree ${subtreeKey(ref)}`);
    }
    byKey.set(subtreeKey(ref), hash);
  });
  return elements.map((refs) =>
    hashOfRange(
      refs,
      refs.map((ref) => byKey.get(subtreeKey(ref)) as Uint8Array),
    ),
  );
}
