import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AnchorEntry, CheckpointAnchor } from './anchor.js';
import { parseCheckpointUnverified } from './checkpoint-note.js';
import { errorCode, placeNewFile, replaceFile } from './durable-fs.js';
import { isTornNote } from './signed-note.js';

/** Two different checkpoints for one tree size: the log was forked or rewritten. */
export class AnchorConflictError extends Error {
  override readonly name = 'AnchorConflictError';

  constructor(
    readonly origin: string,
    readonly size: number,
    readonly path: string,
    readonly existingNote: string,
    readonly newNote: string,
  ) {
    super(
      `A different checkpoint for ${origin} at size ${size} is already anchored in ${path}: ` +
        'the log has two histories (fork or rewrite)',
    );
  }
}

const FILE_NAME = /^(\d{20})\.checkpoint$/;
const SIZE_DIGITS = 20;
// A concurrent writer's file can be caught half-written; give it a moment before calling it a fork.
const SETTLE_ATTEMPTS = 5;
const SETTLE_DELAY_MS = 20;

/** An anchored file and whether a crash cut it short while it was written (see isTornNote). */
export interface AnchoredFile {
  readonly size: number;
  readonly note: string;
  readonly torn: boolean;
}

/**
 * Writes each checkpoint once to `<dir>/<origin>/<size>.checkpoint` and never rewrites it, so the
 * directory can live on WORM storage. Each file is written and flushed under a temporary name and
 * linked into place, so a crash at any instant leaves either no file or a complete one; a finished
 * file is never renamed, changed or deleted. The one exception is a file an older version tore (it
 * wrote in place): a checkpoint for its size replaces it.
 */
export class DirectoryAnchor implements CheckpointAnchor {
  constructor(private readonly dir: string) {}

  async publish(entry: AnchorEntry): Promise<void> {
    const parsed = parseCheckpointUnverified(entry.note);
    if (!parsed.ok) throw new Error(`Refusing to anchor a malformed checkpoint: ${parsed.message}`);
    if (parsed.checkpoint.origin !== entry.origin || parsed.checkpoint.size !== entry.size)
      throw new Error(
        `Checkpoint note is for ${parsed.checkpoint.origin} at ${parsed.checkpoint.size}, not ${entry.origin} at ${entry.size}`,
      );

    const originDir = join(this.dir, originDirectoryName(entry.origin));
    await mkdir(originDir, { recursive: true });
    const path = join(originDir, checkpointFileName(entry.size));
    if (await placeNewFile(path, entry.note, 0o644)) return;
    await this.confirmSameTreeState(path, entry, parsed.checkpoint.root);
  }

  static async readAll(dir: string, origin: string): Promise<AnchoredFile[]> {
    const originDir = join(dir, originDirectoryName(origin));
    const sizes = await listSizes(originDir);
    return Promise.all(
      sizes.map(async (size) => {
        const note = await readFile(join(originDir, checkpointFileName(size)), 'utf8');
        return { size, note, torn: isTornNote(note, `${origin}\n${size}\n`) };
      }),
    );
  }

  static async readLatest(dir: string, origin: string): Promise<{ size: number; note: string } | undefined> {
    const originDir = join(dir, originDirectoryName(origin));
    const size = (await listSizes(originDir)).at(-1);
    if (size === undefined) return undefined;
    return { size, note: await readFile(join(originDir, checkpointFileName(size)), 'utf8') };
  }

  /**
   * Another checkpoint for this size is already there. The same tree signed at another moment (two
   * nodes checkpointing the same size, or a retry) is not a fork; only a different root is.
   */
  private async confirmSameTreeState(path: string, entry: AnchorEntry, root: Buffer): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const existing = await readFile(path, 'utf8');
      if (existing === entry.note) return;
      const parsed = parseCheckpointUnverified(existing);
      if (parsed.ok) {
        const same =
          parsed.checkpoint.origin === entry.origin &&
          parsed.checkpoint.size === entry.size &&
          parsed.checkpoint.root.equals(root);
        if (same) return;
      }
      if (parsed.ok) throw new AnchorConflictError(entry.origin, entry.size, path, existing, entry.note);
      if (attempt >= SETTLE_ATTEMPTS) {
        // Only a start of this very tree state: a cut-short note with another root is still a fork.
        const opening = `${entry.origin}\n${entry.size}\n${root.toString('base64')}\n`;
        if (!isTornNote(existing, opening))
          throw new AnchorConflictError(entry.origin, entry.size, path, existing, entry.note);
        // Left by a crash of an older version mid-write: it never held a checkpoint; this one takes its place.
        return replaceFile(path, entry.note, 0o644);
      }
      await sleep(SETTLE_DELAY_MS);
    }
  }
}

/** Where the checkpoint of `origin` at `size` is (or would be) anchored under `dir`. */
export function anchorFilePath(dir: string, origin: string, size: number): string {
  return join(dir, originDirectoryName(origin), checkpointFileName(size));
}

/**
 * A readable but lossy rendering of the origin, plus a hash of the exact origin: two origins must never
 * share a directory, even on case-insensitive filesystems or after truncation to a safe length.
 */
function originDirectoryName(origin: string): string {
  const readable = origin
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\./, '_')
    .slice(0, 100);
  const digest = createHash('sha256').update(origin, 'utf8').digest('hex').slice(0, 16);
  return `${readable}-${digest}`;
}

function checkpointFileName(size: number): string {
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`Invalid checkpoint size ${size}`);
  return `${String(size).padStart(SIZE_DIGITS, '0')}.checkpoint`;
}

/** Sizes anchored in one origin's directory, ascending; none when the directory does not exist. */
async function listSizes(originDir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(originDir);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
  return names
    .flatMap((name) => {
      const digits = FILE_NAME.exec(name)?.[1];
      return digits === undefined ? [] : [Number(digits)];
    })
    .filter((size) => Number.isSafeInteger(size))
    .sort((a, b) => a - b);
}
