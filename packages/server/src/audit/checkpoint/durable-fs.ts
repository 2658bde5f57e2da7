import { type FileHandle, open, unlink } from 'node:fs/promises';

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
