import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** IVs are cut from a pool of random bytes: one system call per 512 seals instead of one each. */
const POOL_IVS = 512;
let pool = Buffer.alloc(0);
let poolOffset = 0;

function nextIv(): Buffer {
  if (poolOffset >= pool.length) {
    pool = randomBytes(IV_BYTES * POOL_IVS);
    poolOffset = 0;
  }
  const iv = pool.subarray(poolOffset, poolOffset + IV_BYTES);
  poolOffset += IV_BYTES;
  return iv;
}

/**
 * AES-256-GCM with associated data: the result is base64(iv || ciphertext || tag). The associated
 * data binds a box to where it belongs (tenant, key, event), so a box moved elsewhere fails to open.
 */
export function seal(key: Buffer, plaintext: string, associatedData: string): string {
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64');
}

/** The plaintext, or null when the box was altered, belongs elsewhere, or the key is wrong. */
export function open(key: Buffer, box: string, associatedData: string): string | null {
  const bytes = Buffer.from(box, 'base64');
  if (bytes.length < IV_BYTES + TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    return null;
  }
}
