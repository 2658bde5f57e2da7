import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { errorCode } from './checkpoint/durable-fs.js';

/**
 * Each event carries HMAC-SHA256(event key, leaf hash). The event key is derived from the
 * key-encryption key every node already holds (WARDEN_AUDIT_KEK_FILE), so whoever can write only to
 * the database cannot produce it: an event appended behind the nodes' back has no valid MAC, and no
 * node signs a checkpoint over it.
 */
export function deriveEventKey(kek: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), 'warden audit event mac v1', 32));
}

export function eventMac(key: Buffer, leaf: Uint8Array): string {
  return createHmac('sha256', key).update(leaf).digest('base64');
}

export function macMatches(key: Buffer, leaf: Uint8Array, mac: string | null | undefined): boolean {
  if (typeof mac !== 'string') return false;
  const expected = createHmac('sha256', key).update(leaf).digest();
  const given = Buffer.from(mac, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Parses the key-encryption key file's content: base64 of 32 bytes. */
export function parseKeyEncryptionKey(text: string, path: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new Error(`${path} must hold a base64 32-byte key`);
  return key;
}

/**
 * The event key for a verifier on a node's host: read from the existing key-encryption key file,
 * never created. Undefined when there is no such file or it may not be read (an auditor's account):
 * the unsigned tail is then reported as not signed, without a verdict on who wrote it.
 */
export async function readEventKey(kekFile: string): Promise<Buffer | undefined> {
  try {
    return deriveEventKey(parseKeyEncryptionKey(await readFile(kekFile, 'utf8'), kekFile));
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'EACCES') return undefined;
    throw error;
  }
}
