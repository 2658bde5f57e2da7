export { CompactRange, type NodeListener } from './compact-range.js';
export { rangeDecomposition } from './decomposition.js';
export { EMPTY_ROOT, HASH_SIZE, leafHash, nodeHash } from './hashing.js';
export { consistencyProofRefs, inclusionProofRefs } from './proof-refs.js';
export { consistencyProof, inclusionProof, type SubtreeReader } from './proofs.js';
export { foldFromRight, hashOfRange } from './range-hash.js';
export { merkleRoot } from './reference.js';
export { type SubtreeRef, subtreeBegin, subtreeEnd, subtreeKey } from './subtree.js';
export { rootFromInclusion, verifyConsistency, verifyInclusion } from './verify.js';
