import { chmod, mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Reads a secret kept in a file outside the database, creating it on first use. The file is created
 * with mode 0600 by an exclusive open, so nodes starting together end up sharing one secret rather
 * than each writing its own; a file readable by others is refused, since the secret would not be one.
 */
export async function readOrCreateSecretFile(path: string, create: () => string): Promise<string> {
  try {
    return await readSecret(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    const file = await open(path, 'wx', 0o600);
    try {
      await file.writeFile(create(), 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await chmod(path, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readSecret(path);
}

async function readSecret(path: string): Promise<string> {
  if (process.platform !== 'win32') {
    const { mode } = await stat(path);
    if ((mode & 0o077) !== 0) {
      throw new Error(
        `${path} is readable by other users (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`,
      );
    }
  }
  const text = await readFile(path, 'utf8');
  // Another node may have created the file a moment ago and not written it yet.
  if (text.trim() === '') {
    await new Promise((resolve) => setTimeout(resolve, 50));
    return readFile(path, 'utf8');
  }
  return text;
}
