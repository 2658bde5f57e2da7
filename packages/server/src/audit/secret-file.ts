import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { displayPath } from '../display-path.js';
import { errorCode, placeNewFile } from './checkpoint/durable-fs.js';

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
  if (await placeNewFile(path, content, 0o600)) return content;
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
