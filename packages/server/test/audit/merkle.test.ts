import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CompactRange,
  consistencyProof,
  consistencyProofRefs,
  EMPTY_ROOT,
  hashOfRange,
  inclusionProof,
  inclusionProofRefs,
  leafHash,
  merkleRoot,
  nodeHash,
  rangeDecomposition,
  rootFromInclusion,
  type SubtreeRef,
  subtreeBegin,
  subtreeEnd,
  subtreeKey,
  verifyConsistency,
  verifyInclusion,
} from '../../src/audit/merkle/index.js';

const hex = (hash: Uint8Array): string => Buffer.from(hash).toString('hex');
const sha256 = (...parts: Uint8Array[]): Buffer => {
  const hasher = createHash('sha256');
  for (const part of parts) hasher.update(part);
  return hasher.digest();
};

const leaves = Array.from({ length: 200 }, (_, i) => leafHash(`entry ${i}`));
const rootOf = (begin: number, end: number): Buffer => merkleRoot(leaves.slice(begin, end));

function rangeOfLeaves(count: number, onNode?: (ref: SubtreeRef, hash: Buffer) => void): CompactRange {
  const range = CompactRange.empty();
  for (let i = 0; i < count; i++) range.appendLeaf(leaves[i] as Buffer, onNode);
  return range;
}

/** Every subtree hash of the first `count` test leaves, the way the log's store keeps them. */
function storeOf(count: number): Map<string, Buffer> {
  const store = new Map<string, Buffer>();
  rangeOfLeaves(count, (ref, hash) => store.set(subtreeKey(ref), hash));
  for (let i = 0; i < count; i++) store.set(subtreeKey({ level: 0, index: i }), leaves[i] as Buffer);
  return store;
}

/** A reader over `store` that records its calls and refuses any subtree not complete within [0, size). */
function readerFor(store: Map<string, Buffer>, size: number) {
  const calls: SubtreeRef[][] = [];
  const read = async (refs: readonly SubtreeRef[]): Promise<Buffer[]> => {
    calls.push([...refs]);
    return refs.map((ref) => {
      if (subtreeEnd(ref) > size) throw new Error(`read ${subtreeKey(ref)} beyond tree size ${size}`);
      const hash = store.get(subtreeKey(ref));
      if (hash === undefined) throw new Error(`no subtree ${subtreeKey(ref)}`);
      return hash;
    });
  };
  return { read, calls };
}

// Direct transcriptions of RFC 9162 §2.1.3.1 PATH and §2.1.4.1 SUBPROOF over leaf hashes: the slow recursive
// definitions the store-backed proofs must agree with exactly.
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
function rfcPath(m: number, d: readonly Buffer[]): Buffer[] {
  if (d.length <= 1) return [];
  const k = largestPowerOfTwoBelow(d.length);
  return m < k
    ? [...rfcPath(m, d.slice(0, k)), merkleRoot(d.slice(k))]
    : [...rfcPath(m - k, d.slice(k)), merkleRoot(d.slice(0, k))];
}
function rfcSubproof(m: number, d: readonly Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [merkleRoot(d)];
  const k = largestPowerOfTwoBelow(d.length);
  return m <= k
    ? [...rfcSubproof(m, d.slice(0, k), b), merkleRoot(d.slice(k))]
    : [...rfcSubproof(m - k, d.slice(k), false), merkleRoot(d.slice(0, k))];
}

function flipBit(hash: Buffer, bit: number): Buffer {
  const copy = Buffer.from(hash);
  copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
  return copy;
}
const withElement = (proof: readonly Buffer[], at: number, value: Buffer): Buffer[] =>
  proof.map((p, i) => (i === at ? value : p));

describe('RFC 6962 hashing', () => {
  it('separates leaves from interior nodes by a one-byte prefix', () => {
    const left = leafHash('left');
    const right = leafHash('right');
    const bytes = Buffer.concat([left, right]);
    expect(hex(leafHash(''))).toBe(hex(sha256(Uint8Array.of(0))));
    expect(hex(leafHash('abc'))).toBe(hex(sha256(Uint8Array.of(0), Buffer.from('abc'))));
    expect(hex(leafHash(Buffer.from('abc')))).toBe(hex(leafHash('abc')));
    expect(hex(nodeHash(left, right))).toBe(hex(sha256(Uint8Array.of(1), bytes)));
    expect(hex(leafHash(bytes))).not.toBe(hex(nodeHash(left, right)));
    expect(hex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('reproduces the published RFC 6962 reference tree', () => {
    const inputs = [
      '',
      '00',
      '10',
      '2021',
      '3031',
      '40414243',
      '5051525354555657',
      '606162636465666768696a6b6c6d6e6f',
    ];
    const d = inputs.map((input) => leafHash(Buffer.from(input, 'hex')));
    const roots = [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
      '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
      'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    ];
    const range = CompactRange.empty();
    d.forEach((leaf, i) => {
      range.appendLeaf(leaf);
      expect(hex(range.root())).toBe(roots[i]);
    });
    expect(rfcPath(0, d).map(hex)).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect(rfcSubproof(6, d, true).map(hex)).toEqual([
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
    expect(rfcSubproof(2, d.slice(0, 5), true).map(hex)).toEqual([
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ]);
  });
});

describe('rangeDecomposition', () => {
  it('covers [begin, end) with aligned subtrees, none of which could merge with its neighbour', () => {
    for (let end = 0; end <= 70; end++) {
      for (let begin = 0; begin <= end; begin++) {
        const refs = rangeDecomposition(begin, end);
        let position = begin;
        refs.forEach((ref, i) => {
          expect(subtreeBegin(ref)).toBe(position);
          position = subtreeEnd(ref);
          const next = refs[i + 1];
          if (next !== undefined && next.level === ref.level) expect(ref.index % 2).toBe(1);
        });
        expect(position).toBe(end);
      }
    }
    expect(rangeDecomposition(3, 13)).toEqual([
      { level: 0, index: 3 },
      { level: 2, index: 1 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
  });

  it('handles positions beyond 32 bits', () => {
    const begin = 2 ** 40 - 3;
    const end = 2 ** 40 + 2 ** 33 + 5;
    const refs = rangeDecomposition(begin, end);
    expect(refs.map((ref) => ref.level)).toEqual([0, 1, 33, 2, 0]);
    expect(subtreeBegin(refs[0] as SubtreeRef)).toBe(begin);
    expect(subtreeEnd(refs[refs.length - 1] as SubtreeRef)).toBe(end);
  });
});

describe('CompactRange', () => {
  it('has the root of the naive recursive MTH at every size from 0 to 70', () => {
    const range = CompactRange.empty();
    expect(hex(range.root())).toBe(hex(EMPTY_ROOT));
    for (let size = 1; size <= 70; size++) {
      range.appendLeaf(leaves[size - 1] as Buffer);
      expect(range.size).toBe(size);
      expect(hex(range.root())).toBe(hex(rootOf(0, size)));
    }
  });

  it('has the naive root at random sizes', () => {
    const many = Array.from({ length: 3000 }, (_, i) => leafHash(`many ${i}`));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: many.length }), (size) => {
        const range = CompactRange.empty();
        for (let i = 0; i < size; i++) range.appendLeaf(many[i] as Buffer);
        expect(hex(range.root())).toBe(hex(merkleRoot(many.slice(0, size))));
      }),
      { numRuns: 25 },
    );
  });

  it('reports exactly the completed interior nodes, each with its naive hash', () => {
    for (let size = 0; size <= 130; size++) {
      const reported = new Map<string, Buffer>();
      rangeOfLeaves(size, (ref, hash) => {
        expect(reported.has(subtreeKey(ref))).toBe(false);
        expect(hex(hash)).toBe(hex(rootOf(subtreeBegin(ref), subtreeEnd(ref))));
        reported.set(subtreeKey(ref), hash);
      });
      const expected: string[] = [];
      for (let level = 1; 2 ** level <= size; level++) {
        for (let index = 0; (index + 1) * 2 ** level <= size; index++)
          expected.push(subtreeKey({ level, index }));
      }
      expect([...reported.keys()].sort()).toEqual(expected.sort());
    }
  });

  it('lists its subtree roots largest first, and can be restored from them', () => {
    for (let size = 0; size <= 70; size++) {
      const range = rangeOfLeaves(size);
      const refs = range.refs();
      expect(range.hashes.map(hex)).toEqual(
        refs.map((ref) => hex(rootOf(subtreeBegin(ref), subtreeEnd(ref)))),
      );
      expect(refs).toEqual(rangeDecomposition(0, size));
      const restored = CompactRange.from(size, range.hashes);
      expect(hex(restored.root())).toBe(hex(range.root()));
      restored.appendLeaf(leaves[size] as Buffer);
      expect(hex(restored.root())).toBe(hex(rootOf(0, size + 1)));
    }
  });

  it('appends perfect subtrees: leaves for [0, b) then the decomposition of [b, c) gives the root of [0, c)', () => {
    for (let c = 0; c <= 45; c++) {
      for (let b = 0; b <= c; b++) {
        const range = rangeOfLeaves(b);
        for (const ref of rangeDecomposition(b, c)) {
          range.appendSubtree(ref.level, rootOf(subtreeBegin(ref), subtreeEnd(ref)));
        }
        expect(range.size).toBe(c);
        expect(hex(range.root())).toBe(hex(rootOf(0, c)));
      }
    }
  });

  it('keeps clones and restored ranges independent of the original and of the caller buffers', () => {
    const range = rangeOfLeaves(5);
    const clone = range.clone();
    range.appendLeaf(leaves[5] as Buffer);
    expect(clone.size).toBe(5);
    expect(hex(clone.root())).toBe(hex(rootOf(0, 5)));

    const reused = Buffer.from(leaves[6] as Buffer);
    clone.appendLeaf(reused);
    reused.fill(0);
    expect(hex(clone.root())).toBe(hex(merkleRoot([...leaves.slice(0, 5), leaves[6] as Buffer])));
    (range.hashes[0] as Buffer).fill(0);
    expect(hex(range.root())).toBe(hex(rootOf(0, 6)));
  });

  it('is left unchanged when a node listener throws', () => {
    const range = rangeOfLeaves(3);
    expect(() =>
      range.appendLeaf(leaves[3] as Buffer, () => {
        throw new Error('store down');
      }),
    ).toThrow('store down');
    expect(range.size).toBe(3);
    expect(hex(range.root())).toBe(hex(rootOf(0, 3)));
  });
});

describe('proofs from a store of perfect subtrees', () => {
  const maxSize = 40;
  const store = storeOf(maxSize);

  it('gives every RFC 9162 inclusion proof up to size 40, reading the store once, and it verifies', async () => {
    for (let size = 1; size <= maxSize; size++) {
      const root = rootOf(0, size);
      for (let index = 0; index < size; index++) {
        const { read, calls } = readerFor(store, size);
        const proof = await inclusionProof(index, size, read);
        expect(proof.map(hex)).toEqual(rfcPath(index, leaves.slice(0, size)).map(hex));
        expect(calls).toHaveLength(size === 1 ? 0 : 1);
        const leaf = leaves[index] as Buffer;
        expect(verifyInclusion(leaf, index, size, proof, root)).toBe(true);
        expect(hex(rootFromInclusion(leaf, index, size, proof) ?? Buffer.alloc(0))).toBe(hex(root));
      }
    }
  });

  it('gives every RFC 9162 consistency proof up to size 40, reading the store once, and it verifies', async () => {
    for (let to = 0; to <= maxSize; to++) {
      for (let from = 0; from <= to; from++) {
        const { read, calls } = readerFor(store, to);
        const proof = await consistencyProof(from, to, read);
        const expected = from === 0 ? [] : rfcSubproof(from, leaves.slice(0, to), true);
        expect(proof.map(hex)).toEqual(expected.map(hex));
        expect(calls).toHaveLength(proof.length === 0 ? 0 : 1);
        expect(verifyConsistency(from, to, rootOf(0, from), rootOf(0, to), proof)).toBe(true);
      }
    }
  });

  it('refuses tampered inclusion proofs', async () => {
    for (let size = 1; size <= maxSize; size++) {
      const root = rootOf(0, size);
      for (let index = 0; index < size; index++) {
        const leaf = leaves[index] as Buffer;
        const proof = await inclusionProof(index, size, readerFor(store, size).read);
        proof.forEach((element, at) => {
          const flipped = withElement(proof, at, flipBit(element, (at * 37 + index) % 256));
          expect(verifyInclusion(leaf, index, size, flipped, root)).toBe(false);
        });
        expect(verifyInclusion(flipBit(leaf, index % 256), index, size, proof, root)).toBe(false);
        expect(verifyInclusion(leaf, index, size, proof, flipBit(root, 3))).toBe(false);
        expect(verifyInclusion(leaves[(index + 1) % size] as Buffer, index, size, proof, root)).toBe(
          size === 1,
        );
        if (size > 1) {
          expect(verifyInclusion(leaf, index ^ 1, size, proof, root)).toBe(false);
          expect(verifyInclusion(leaf, (index + 1) % size, size, proof, root)).toBe(false);
          expect(verifyInclusion(leaf, index, size - 1, proof, rootOf(0, size - 1))).toBe(false);
          expect(verifyInclusion(leaf, index, size, proof.slice(0, -1), root)).toBe(false);
        }
        expect(verifyInclusion(leaf, index, size + 1, proof, rootOf(0, size + 1))).toBe(false);
        expect(verifyInclusion(leaf, index, size, [...proof, leaf], root)).toBe(false);
        expect(verifyInclusion(leaf, size, size, proof, root)).toBe(false);
      }
    }
  });

  it('refuses tampered consistency proofs', async () => {
    for (let to = 2; to <= maxSize; to++) {
      for (let from = 1; from < to; from++) {
        const fromRoot = rootOf(0, from);
        const toRoot = rootOf(0, to);
        const proof = await consistencyProof(from, to, readerFor(store, to).read);
        proof.forEach((element, at) => {
          const flipped = withElement(proof, at, flipBit(element, (at * 41 + from) % 256));
          expect(verifyConsistency(from, to, fromRoot, toRoot, flipped)).toBe(false);
        });
        expect(verifyConsistency(from, to, flipBit(fromRoot, 0), toRoot, proof)).toBe(false);
        expect(verifyConsistency(from, to, fromRoot, flipBit(toRoot, 255), proof)).toBe(false);
        expect(verifyConsistency(from, to, toRoot, fromRoot, proof)).toBe(false);
        expect(verifyConsistency(from, to, fromRoot, toRoot, proof.slice(0, -1))).toBe(false);
        expect(verifyConsistency(from, to, fromRoot, toRoot, [...proof, toRoot])).toBe(false);
        expect(verifyConsistency(from, to + 1, fromRoot, rootOf(0, to + 1), proof)).toBe(false);
        expect(verifyConsistency(from + 1, to, rootOf(0, from + 1), toRoot, proof)).toBe(false);
        if (from > 1) expect(verifyConsistency(from - 1, to, rootOf(0, from - 1), toRoot, proof)).toBe(false);
      }
    }
  });

  it('accepts the trivial consistency cases only with an empty proof and matching roots', () => {
    const root = rootOf(0, 7);
    expect(verifyConsistency(7, 7, root, root, [])).toBe(true);
    expect(verifyConsistency(7, 7, root, rootOf(0, 6), [])).toBe(false);
    expect(verifyConsistency(7, 7, root, root, [root])).toBe(false);
    expect(verifyConsistency(0, 7, EMPTY_ROOT, root, [])).toBe(true);
    expect(verifyConsistency(0, 7, root, root, [])).toBe(false);
    expect(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])).toBe(true);
  });

  it('gives inclusion proof elements that, with the leaf, partition the tree (also beyond 32 bits)', () => {
    const sizes = [1, 2, 3, 7, 8, 9, 40, 2 ** 33 + 12_345, 2 ** 45 - 1];
    for (const size of sizes) {
      const indexes = [0, 1, Math.floor(size / 3), size - 2, size - 1].filter((i) => i >= 0 && i < size);
      for (const index of indexes) {
        const refs = [{ level: 0, index }, ...inclusionProofRefs(index, size).flat()];
        refs.sort((a, b) => subtreeBegin(a) - subtreeBegin(b));
        let position = 0;
        for (const ref of refs) {
          expect(subtreeBegin(ref)).toBe(position);
          position = subtreeEnd(ref);
        }
        expect(position).toBe(size);
      }
    }
  });

  it('proves and verifies in a tree above 2^32 leaves', async () => {
    // With every leaf equal, a perfect subtree's hash depends only on its level, so a huge tree fits in memory.
    const byLevel = [leafHash('same')];
    for (let level = 1; level <= 40; level++) {
      const below = byLevel[level - 1] as Buffer;
      byLevel.push(nodeHash(below, below));
    }
    const read = async (refs: readonly SubtreeRef[]) => refs.map((ref) => byLevel[ref.level] as Buffer);
    const rootAt = (size: number) =>
      CompactRange.from(
        size,
        rangeDecomposition(0, size).map((ref) => byLevel[ref.level] as Buffer),
      ).root();
    const from = 2 ** 33 + 7;
    const to = 2 ** 34 + 2 ** 20 + 3;
    for (const index of [0, 5, from - 1, to - 1]) {
      const proof = await inclusionProof(index, to, read);
      expect(verifyInclusion(byLevel[0] as Buffer, index, to, proof, rootAt(to))).toBe(true);
    }
    const proof = await consistencyProof(from, to, read);
    expect(verifyConsistency(from, to, rootAt(from), rootAt(to), proof)).toBe(true);
    expect(verifyConsistency(from, to, rootAt(from + 1), rootAt(to), proof)).toBe(false);
  });

  it('appends a million leaves about as fast as it hashes, and keeps their proofs small', async () => {
    const size = 1_000_000;
    // Flat per-level storage keeps the two million node hashes compact.
    const levels: Buffer[] = [];
    for (let level = 0; 2 ** level <= size; level++)
      levels.push(Buffer.alloc(Math.floor(size / 2 ** level) * 32));
    const put = (ref: SubtreeRef, hash: Uint8Array) =>
      (levels[ref.level] as Buffer).set(hash, ref.index * 32);
    // Appending costs about one node hash per leaf; time it against bare node hashing on this same machine
    // rather than against a fixed budget, so that a busy CI machine does not make the check flaky.
    const sample = Buffer.alloc(32);
    const baselineStarted = performance.now();
    for (let i = 0; i < size / 4; i++) nodeHash(sample, sample);
    const hashingBudget = (performance.now() - baselineStarted) * 4;

    const range = CompactRange.empty();
    const snapshots = new Map<number, Buffer>();
    // One buffer reused for every leaf: the range must copy what it keeps.
    const leaf = Buffer.alloc(32);
    const started = performance.now();
    for (let i = 0; i < size; i++) {
      leaf.writeUInt32BE(i, 28);
      put({ level: 0, index: i }, leaf);
      range.appendLeaf(leaf, put);
      if (i + 1 === 1 || i + 1 === 524_288 || i + 1 === 777_777 || i + 1 === 999_999) {
        snapshots.set(i + 1, range.root());
      }
    }
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(3 * hashingBudget);
    snapshots.set(size, range.root());
    expect(range.hashes).toHaveLength(7);
    const read = async (refs: readonly SubtreeRef[]) =>
      refs.map((ref) => (levels[ref.level] as Buffer).subarray(ref.index * 32, ref.index * 32 + 32));

    const root = range.root();
    for (const index of [0, 1, 524_287, 524_288, 777_776, 999_999]) {
      const proof = await inclusionProof(index, size, read);
      expect(proof.length).toBeLessThanOrEqual(20);
      expect(Buffer.concat(proof).length).toBeLessThanOrEqual(1024);
      const leafAt = (await read([{ level: 0, index }]))[0] as Buffer;
      expect(verifyInclusion(leafAt, index, size, proof, root)).toBe(true);
    }
    for (const from of [1, 524_288, 777_777, 999_999]) {
      const proof = await consistencyProof(from, size, read);
      // A consistency proof may need one hash more than an inclusion proof: ceil(log2(size)) + 1.
      expect(proof.length).toBeLessThanOrEqual(21);
      expect(Buffer.concat(proof).length).toBeLessThanOrEqual(1024);
      expect(verifyConsistency(from, size, snapshots.get(from) as Buffer, root, proof)).toBe(true);
    }
  });
});

describe('argument checking', () => {
  const hash = leaves[0] as Buffer;

  it('throws RangeError on bad proof arguments', async () => {
    for (const [index, size] of [
      [-1, 5],
      [5, 5],
      [0, 0],
      [1.5, 4],
      [0, Number.NaN],
      [0, 2 ** 53],
    ] as const) {
      expect(() => inclusionProofRefs(index, size)).toThrow(RangeError);
      await expect(inclusionProof(index, size, async () => [])).rejects.toThrow(RangeError);
    }
    for (const [from, to] of [
      [5, 4],
      [-1, 3],
      [0.5, 2],
      [1, Number.POSITIVE_INFINITY],
    ] as const) {
      expect(() => consistencyProofRefs(from, to)).toThrow(RangeError);
      await expect(consistencyProof(from, to, async () => [])).rejects.toThrow(RangeError);
    }
    expect(() => rangeDecomposition(3, 2)).toThrow(RangeError);
    expect(() => rangeDecomposition(-1, 2)).toThrow(RangeError);
  });

  it('throws RangeError on bad compact range input', () => {
    expect(() => CompactRange.from(3, [hash])).toThrow(RangeError);
    expect(() => CompactRange.from(3, [hash, Buffer.alloc(31)])).toThrow(RangeError);
    expect(() => CompactRange.from(-1, [])).toThrow(RangeError);
    const range = rangeOfLeaves(1);
    expect(() => range.appendSubtree(1, hash)).toThrow(RangeError);
    expect(() => range.appendSubtree(-1, hash)).toThrow(RangeError);
    expect(() => range.appendSubtree(0.5, hash)).toThrow(RangeError);
    expect(() => range.appendLeaf(Buffer.alloc(31))).toThrow(RangeError);
    expect(range.size).toBe(1);
    expect(() => merkleRoot([Buffer.alloc(5)])).toThrow(RangeError);
  });

  it('refuses ranges that have no RFC 6962 hash', () => {
    expect(() => hashOfRange([], [])).toThrow(RangeError);
    expect(() => hashOfRange([{ level: 0, index: 0 }], [])).toThrow(RangeError);
    const growing = rangeDecomposition(1, 4);
    expect(() => hashOfRange(growing, [hash, hash])).toThrow(RangeError);
    const edge = rangeDecomposition(8, 13);
    const hashes = edge.map((ref) => rootOf(subtreeBegin(ref), subtreeEnd(ref)));
    expect(hex(hashOfRange(edge, hashes))).toBe(hex(rootOf(8, 13)));
  });

  it('fails when the store answers with the wrong number or size of hashes', async () => {
    await expect(inclusionProof(0, 4, async () => [hash])).rejects.toThrow(/2 subtrees/);
    await expect(inclusionProof(0, 2, async () => [Buffer.alloc(3)])).rejects.toThrow(/32-byte/);
  });

  it('answers false, never throws, for malformed verifier input', () => {
    const garbage = [undefined, null, 'x', 12, {}, [hash, 'x'], [Buffer.alloc(31)]] as unknown[];
    for (const junk of garbage) {
      const value = junk as never;
      expect(verifyInclusion(hash, 0, 1, value, hash)).toBe(false);
      expect(verifyInclusion(value, 0, 1, [], hash)).toBe(false);
      expect(verifyInclusion(hash, value, 1, [], hash)).toBe(false);
      expect(verifyInclusion(hash, 0, 1, [], value)).toBe(false);
      expect(verifyConsistency(1, 2, hash, hash, value)).toBe(false);
      expect(verifyConsistency(value, 2, hash, hash, [hash])).toBe(false);
      expect(verifyConsistency(1, 2, value, hash, [hash])).toBe(false);
    }
    expect(verifyInclusion(hash, 0, 1, [], hash)).toBe(true);
    expect(verifyInclusion(hash, -1, 1, [], hash)).toBe(false);
    expect(verifyInclusion(hash, 0, 2 ** 60, [], hash)).toBe(false);
    expect(verifyConsistency(2, 1, hash, hash, [hash])).toBe(false);
  });
});
