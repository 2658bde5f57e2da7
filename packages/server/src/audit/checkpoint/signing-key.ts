import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { link, mkdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { displayPath } from '../../display-path.js';
import { errorCode, fsyncDirectory, writeNewFile } from './durable-fs.js';
import { assertKeyName, parseVerifierKey, verifierKeyFor } from './verifier-key.js';

export { type ParsedVerifierKey, parseVerifierKey, verifierKeyFor } from './verifier-key.js';

export interface SigningKey {
  readonly name: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly verifierKey: string;
}

/**
 * Loads the node's checkpoint signing key from a PKCS#8 PEM file, creating it on first use. Several
 * processes may start at once against one file; all of them end up with the key that landed first.
 */
export async function loadOrCreateSigningKey(path: string, name: string): Promise<SigningKey> {
  assertKeyName(name);
  const existing = await readSigningKeyFile(path, name);
  if (existing) return existing;

  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  if (await placeOnce(path, pem)) return signingKeyFrom(name, privateKey);

  const winner = await readSigningKeyFile(path, name);
  if (!winner) throw new Error(`Signing key file ${displayPath(path)} vanished while being created`);
  return winner;
}

/** Writes `<verifier key>\n`, the line an auditor needs to check checkpoints from this node. */
export async function writePublicKeyFile(path: string, verifierKey: string): Promise<void> {
  parseVerifierKey(verifierKey);
  await mkdir(dirname(path), { recursive: true });
  const temporary = temporaryPathFor(path);
  try {
    await writeNewFile(temporary, `${verifierKey}\n`, 0o644);
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await fsyncDirectory(dirname(path));
}

async function readSigningKeyFile(path: string, name: string): Promise<SigningKey | undefined> {
  let pem: string;
  try {
    const info = await stat(path);
    // Windows reports made-up permission bits; the check would refuse every key there.
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
      throw new Error(
        `Signing key file ${displayPath(path)} is readable by others (mode ${mode}); ` +
          `restrict it with: chmod 600 ${displayPath(path)}`,
      );
    }
    pem = await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new Error(`Signing key file ${displayPath(path)} is not a PEM private key`, { cause: error });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error(
      `Signing key file ${displayPath(path)} holds a ${privateKey.asymmetricKeyType} key, not Ed25519`,
    );
  return signingKeyFrom(name, privateKey);
}

function signingKeyFrom(name: string, privateKey: KeyObject): SigningKey {
  const publicKey = createPublicKey(privateKey);
  return { name, privateKey, publicKey, verifierKey: verifierKeyFor(name, publicKey) };
}

/**
 * Puts the complete file at `path` unless one is already there; false when another writer won. A
 * hard link is atomic and never replaces an existing file, so a concurrent reader sees either no key or
 * a whole one (rename would silently replace a key another process already started signing with).
 */
async function placeOnce(path: string, content: string): Promise<boolean> {
  const temporary = temporaryPathFor(path);
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

function temporaryPathFor(path: string): string {
  return `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}
