import { DirectoryAnchor, parseCheckpointUnverified } from '../checkpoint/index.js';
import { CannotVerifyError, type TrustedCheckpoint } from './report.js';

/** Every checkpoint of `origin` in an anchor directory, to be checked against the log (source `anchor`). */
export async function readAnchoredCheckpoints(dir: string, origin: string): Promise<TrustedCheckpoint[]> {
  try {
    const anchored = await DirectoryAnchor.readAll(dir, origin);
    return anchored.map(({ size, note }) => ({ source: 'anchor', size, note }));
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
