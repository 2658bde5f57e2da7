import { consistencyProof, type SubtreeReader, verifyConsistency } from '../merkle/index.js';
import { MissingSubtreeError } from '../subtree-store.js';
import type { Findings, TrustedResult } from './report.js';
import type { SignedRoot, TrustedRoot } from './signed-checkpoints.js';

/**
 * Why the stored tree does not prove that `later` extends `earlier`, or undefined when it does. The
 * proof comes from the log's stored nodes, so it also fails when those were altered.
 */
export async function consistencyProblem(
  earlier: SignedRoot,
  later: SignedRoot,
  read: SubtreeReader,
): Promise<string | undefined> {
  let proof: Buffer[];
  try {
    proof = await consistencyProof(earlier.size, later.size, read);
  } catch (error) {
    if (error instanceof MissingSubtreeError) return error.message;
    throw error;
  }
  if (verifyConsistency(earlier.size, later.size, earlier.root, later.root, proof)) return undefined;
  return earlier.size === later.size
    ? `the roots at size ${later.size} differ`
    : `the tree of size ${later.size} does not extend the tree of size ${earlier.size}`;
}

/**
 * Checks each trusted checkpoint against the log: the log must have reached its size (else truncation)
 * and extend it (else fork), shown by a consistency proof to the log's next signed root at or above it.
 * `log` is sorted by size and ends with the log's current size and root.
 */
export async function checkTrustedByProofs(
  trusted: readonly TrustedRoot[],
  log: readonly SignedRoot[],
  read: SubtreeReader,
  findings: Findings,
): Promise<TrustedResult[]> {
  const size = log.at(-1)?.size ?? 0;
  const results: TrustedResult[] = [];
  for (const entry of trusted) {
    const { source } = entry;
    const covering = log.find((signed) => signed.size >= entry.size);
    if (!covering) {
      results.push({ source, size: entry.size, status: 'failed' });
      findings.add({
        code: 'truncation',
        size: entry.size,
        source,
        message: `the log has ${size} events, but the ${source} checkpoint signed size ${entry.size}`,
      });
      continue;
    }
    const problem = await consistencyProblem(entry, covering, read);
    results.push({ source, size: entry.size, status: problem ? 'failed' : 'consistent' });
    if (problem) {
      findings.add({
        code: 'fork',
        size: entry.size,
        source,
        message: `the ${source} checkpoint at size ${entry.size} is not part of this log's history: ${problem}`,
      });
    }
  }
  return results;
}
