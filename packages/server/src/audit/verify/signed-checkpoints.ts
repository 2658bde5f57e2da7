import { type Failure, failure, type Result } from '../../result.js';
import { openCheckpoint, type ParsedVerifierKey } from '../checkpoint/index.js';
import type { Findings, TrustedCheckpoint } from './report.js';

/** A checkpoint whose signature and origin were checked: the log must have this root at this size. */
export interface SignedRoot {
  readonly size: number;
  readonly root: Buffer;
}

export interface TrustedRoot extends SignedRoot {
  readonly source: string;
}

/** A checkpoint as the log stores it: `root` is the row's copy of the signed root, when there is one. */
export interface StoredCheckpoint {
  readonly size: number;
  readonly note: string;
  readonly root?: string;
}

/**
 * Opens the log's own checkpoints. A note that does not verify, or is for another log, is a
 * bad_signature; the rest come back sorted by size, one per distinct (size, root).
 */
export function openLogCheckpoints(
  stored: readonly StoredCheckpoint[],
  key: ParsedVerifierKey,
  origin: string,
  findings: Findings,
): SignedRoot[] {
  const bySize = new Map<number, Buffer[]>();
  for (const entry of stored) {
    const opened = openSigned(entry.note, key, origin);
    if (!opened.ok) {
      findings.add({
        code: 'bad_signature',
        size: entry.size,
        message: `checkpoint at size ${entry.size}: ${opened.message}`,
      });
      continue;
    }
    const { size, root } = opened;
    if (size !== entry.size) {
      findings.add({
        code: 'inconsistent_checkpoints',
        size: entry.size,
        message: `the checkpoint stored for size ${entry.size} signs size ${size}`,
      });
    }
    if (entry.root !== undefined && entry.root !== root.toString('base64')) {
      findings.add({
        code: 'inconsistent_checkpoints',
        size,
        message: `the checkpoint row at size ${size} says root ${entry.root}, its signed note ${root.toString('base64')}`,
      });
    }
    const roots = bySize.get(size) ?? [];
    if (roots.some((r) => r.equals(root))) continue;
    if (roots.length > 0) {
      findings.add({
        code: 'inconsistent_checkpoints',
        size,
        message: `two signed checkpoints at size ${size} have different roots`,
      });
    }
    bySize.set(size, [...roots, root]);
  }
  return [...bySize.entries()]
    .sort(([a], [b]) => a - b)
    .flatMap(([size, roots]) => roots.map((root) => ({ size, root })));
}

/** Opens checkpoints held outside the log; a bad one is a bad_signature naming its source. */
export function openTrustedCheckpoints(
  trusted: readonly TrustedCheckpoint[],
  key: ParsedVerifierKey,
  origin: string,
  findings: Findings,
): TrustedRoot[] {
  const opened: TrustedRoot[] = [];
  for (const entry of trusted) {
    const result = openSigned(entry.note, key, origin);
    if (!result.ok) {
      findings.add({
        code: 'bad_signature',
        size: entry.size,
        source: entry.source,
        message: `${entry.source} checkpoint at size ${entry.size}: ${result.message}`,
      });
    } else if (result.size !== entry.size) {
      findings.add({
        code: 'bad_signature',
        size: entry.size,
        source: entry.source,
        message: `${entry.source} checkpoint filed under size ${entry.size} signs size ${result.size}`,
      });
    } else {
      opened.push({ source: entry.source, size: result.size, root: result.root });
    }
  }
  return opened.sort((a, b) => a.size - b.size);
}

type Opened = Result<{ size: number; root: Buffer }, Failure<'unverified' | 'other_log'>>;

function openSigned(note: string, key: ParsedVerifierKey, origin: string): Opened {
  const opened = openCheckpoint(note, key);
  if (!opened.ok) return failure('unverified', `${opened.code.replace('_', ' ')}: ${opened.message}`);
  const { checkpoint } = opened;
  // One key signs every tenant's log, so a valid signature alone does not make it this log's checkpoint.
  if (checkpoint.origin !== origin) {
    return failure('other_log', `signed for log ${checkpoint.origin}, not ${origin}`);
  }
  return { ok: true, size: checkpoint.size, root: checkpoint.root };
}
