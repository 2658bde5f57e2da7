import { DirectoryAnchor, parseCheckpointUnverified } from '../checkpoint/index.js';
import { CannotVerifyError, type TrustedCheckpoint } from './report.js';

export interface AnchoredCheckpoints {
  readonly checkpoints: TrustedCheckpoint[];
  /** Files a crash cut short while they were written: no checkpoint, and no evidence of tampering. */
  readonly warnings: string[];
}

/**
 * Every checkpoint of `origin` in an anchor directory, to be checked against the log (source `anchor`).
 * A torn file (cut short mid-write by a crash of an older version, which wrote in place) is set aside
 * with a warning; a complete note whose signature fails is still checked, and fails, as forged.
 */
export async function readAnchoredCheckpoints(dir: string, origin: string): Promise<AnchoredCheckpoints> {
  try {
    const anchored = await DirectoryAnchor.readAll(dir, origin);
    return {
      checkpoints: anchored
        .filter((a) => !a.torn)
        .map(({ size, note }) => ({ source: 'anchor', size, note })),
      warnings: anchored
        .filter((a) => a.torn)
        .map(
          ({ size }) =>
            `the anchor file for size ${size} is incomplete (a write cut short by a crash), so it was ` +
            'not checked; the stored checkpoint at that size is checked as usual',
        ),
    };
  } catch (error) {
    throw new CannotVerifyError(`cannot read the anchor directory ${dir}: ${(error as Error).message}`);
  }
}

/**
 * A checkpoint note someone kept (e.g. from an earlier verification), as a trusted checkpoint. Its
 * signature is checked with the rest; only its size is read here, to know where to compare.
 */
export function trustedCheckpointFromNote(source: string, note: string): TrustedCheckpoint {
  const parsed = parseCheckpointUnverified(note);
  if (!parsed.ok)
    throw new CannotVerifyError(`the ${source} checkpoint is not a checkpoint: ${parsed.message}`);
  return { source, size: parsed.checkpoint.size, note };
}
