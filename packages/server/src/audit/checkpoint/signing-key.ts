import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { displayPath } from '../../display-path.js';
import { readOrCreateSecretFile } from '../secret-file.js';
import { fsyncDirectory, writeNewFile } from './durable-fs.js';
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
  const pem = await readOrCreateSecretFile(path, 'Signing key file', () =>
    generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  );
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
  const publicKey = createPublicKey(privateKey);
  return { name, privateKey, publicKey, verifierKey: verifierKeyFor(name, publicKey) };
}

/** Writes `<verifier key>\n`, the line an auditor needs to check checkpoints from this node. */
export async function writePublicKeyFile(path: string, verifierKey: string): Promise<void> {
  parseVerifierKey(verifierKey);
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeNewFile(temporary, `${verifierKey}\n`, 0o644);
    await rename(temporary, path);
  } catch (error) {
    // The write's error is the one to report; the temporary file may not exist at all.
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await fsyncDirectory(dirname(path));
}
