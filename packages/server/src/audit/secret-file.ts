import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { displayPath } from '../display-path.js';
import { errorCode, fsyncDirectory, writeNewFile } from './checkpoint/durable-fs.js';

/**
 * Reads a secret kept in a file outside the database (the checkpoint signing key, the key-encryption
 * key), creating it with mode 0600 on first use. Several processes may start at once against one
 * file; all of them end up with the secret that landed first. A file readable by others is refused,
 * since the secret would not be one.
 */
export async function readOrCreateSecretFile(
  path: string,
  label: string,
  create: () => string,
): Promise<string> {
  const existing = await readSecretFile(path, label);
  if (existing !== undefined) return existing;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const content = create();
  if (await placeOnce(path, content)) return content;
  const winner = await readSecretFile(path, label);
  if (winner === undefined) throw new Error(`${label} ${displayPath(path)} vanished while being created`);
  return winner;
}

async function readSecretFile(path: string, label: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    // Windows reports made-up permission bits; the check would refuse every key there.
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
      throw new Error(
        `${label} ${displayPath(path)} is readable by others (mode ${mode}); ` +
          `restrict it with: chmod 600 ${displayPath(path)}`,
      );
    }
    return await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Puts the complete file at `path` unless one is already there; false when another writer won. A
 * hard link is atomic and never replaces an existing file, so a concurrent reader sees either no file
 * or a whole one (rename would silently replace a key another process already started using).
 */
async function placeOnce(path: string, content: string): Promise<boolean> {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeNewFile(temporary, content, 0o600);
  try {
    await link(temporary, path);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EEXIST') return false;
    // Some filesystems (certain FUSE and network mounts) have no hard links; exclusive create is the
    // next best thing there, with a small window where a concurrent reader may see a partial file.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
    return placeExclusively(path, content);
  } finally {
    // The temporary name is gone once linked into place; any other failure left a stray file only.
    await unlink(temporary).catch(() => undefined);
  }
  await fsyncDirectory(dirname(path));
  return true;
}

async function placeExclusively(path: string, content: string): Promise<boolean> {
  try {
    await writeNewFile(path, content, 0o600);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
  await fsyncDirectory(dirname(path));
  return true;
}
