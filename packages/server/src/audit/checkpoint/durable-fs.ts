import { randomBytes } from 'node:crypto';
import { type FileHandle, link, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/**
 * Creates `path` with `content`, failing with EEXIST when it is already there, and flushes it to disk
 * before returning: a checkpoint or key that was reported written must survive a power cut.
 */
export async function writeNewFile(path: string, content: string, mode: number): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    // Only the file this call created is removed: a half-written one would later read as corrupt (or,
    // for checkpoints, as a fork). WORM storage may refuse the removal; the write error still stands.
    await unlink(path).catch(() => undefined);
    throw error;
  }
  await handle.close();
}

/**
 * A new directory entry is only durable once its directory is flushed too. Windows cannot open
 * directories for this, and some filesystems refuse; the file itself is already flushed then.
 */
export async function fsyncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR' && code !== 'ENOTSUP') throw error;
  } finally {
    await handle?.close();
  }
}

function temporaryPath(path: string): string {
  return `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/**
 * Puts the complete file at `path` unless one is already there; false when another writer won. The
 * content is written and flushed under a temporary name first and then hard-linked into place: a
 * link is atomic and never replaces an existing file, so neither a concurrent reader nor a crash at
 * any instant leaves a partial file at `path` (rename would replace one another writer put there).
 */
export async function placeNewFile(path: string, content: string, mode: number): Promise<boolean> {
  const temporary = temporaryPath(path);
  await writeNewFile(temporary, content, mode);
  try {
    await link(temporary, path);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EEXIST') return false;
    // Some filesystems (certain FUSE and network mounts) have no hard links; exclusive create is the
    // next best thing there, with a small window where a reader or a crash may see a partial file.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
    return placeExclusively(path, content, mode);
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  await fsyncDirectory(dirname(path));
  return true;
}

async function placeExclusively(path: string, content: string, mode: number): Promise<boolean> {
  try {
    await writeNewFile(path, content, mode);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
  await fsyncDirectory(dirname(path));
  return true;
}

/** Replaces `path` atomically with a complete, flushed file (for repairing one a crash left partial). */
export async function replaceFile(path: string, content: string, mode: number): Promise<void> {
  const temporary = temporaryPath(path);
  try {
    await writeNewFile(temporary, content, mode);
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await fsyncDirectory(dirname(path));
}
