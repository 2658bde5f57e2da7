import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { decodeCanonicalBase64, isValidKeyName } from './note-text.js';

/** The signed-note algorithm byte for Ed25519: it prefixes the public key in hashes and verifier keys. */
const ED25519_ALGORITHM = 0x01;
const ED25519_PUBLIC_KEY_BYTES = 32;

export interface ParsedVerifierKey {
  readonly name: string;
  /** First 4 bytes of SHA-256(name || "\n" || 0x01 || public key): picks this key's signature lines. */
  readonly keyHash: Buffer;
  readonly publicKey: KeyObject;
}

export function assertKeyName(name: string): void {
  if (!isValidKeyName(name))
    throw new Error(
      `Invalid signing key name ${JSON.stringify(name)}: it must be non-empty, without spaces, "+" or control characters`,
    );
}

/** The 32 raw bytes of an Ed25519 public key, as they appear in key hashes and verifier keys. */
export function rawEd25519PublicKey(publicKey: KeyObject): Buffer {
  if (publicKey.asymmetricKeyType !== 'ed25519')
    throw new Error(`Expected an Ed25519 key, got ${publicKey.asymmetricKeyType ?? publicKey.type}`);
  const x = publicKey.export({ format: 'jwk' }).x;
  if (x === undefined) throw new Error('Ed25519 key export carried no public key');
  return Buffer.from(x, 'base64url');
}

export function keyHashFor(name: string, rawPublicKey: Buffer): Buffer {
  return createHash('sha256')
    .update(`${name}\n`)
    .update(Buffer.of(ED25519_ALGORITHM))
    .update(rawPublicKey)
    .digest()
    .subarray(0, 4);
}

/** `<name>+<key hash hex>+<base64(0x01 || public key)>`: what verifiers are configured with. */
export function verifierKeyFor(name: string, publicKey: KeyObject): string {
  assertKeyName(name);
  const raw = rawEd25519PublicKey(publicKey);
  const encoded = Buffer.concat([Buffer.of(ED25519_ALGORITHM), raw]).toString('base64');
  return `${name}+${keyHashFor(name, raw).toString('hex')}+${encoded}`;
}

/** Throws on anything malformed: a verifier key is configuration, and a wrong one must stop startup. */
export function parseVerifierKey(text: string): ParsedVerifierKey {
  const fail = (why: string): never => {
    throw new Error(`Invalid verifier key ${JSON.stringify(text.slice(0, 200))}: ${why}`);
  };
  // The base64 part may itself contain "+", so only the first two separate fields.
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) return fail('expected <name>+<hash>+<key>');
  const name = text.slice(0, first);
  const hashHex = text.slice(first + 1, second);
  if (!isValidKeyName(name)) return fail('bad key name');
  if (!/^[0-9a-f]{8}$/.test(hashHex)) return fail('key hash must be 8 lowercase hex digits');
  const encoded = decodeCanonicalBase64(text.slice(second + 1));
  if (encoded?.length !== 1 + ED25519_PUBLIC_KEY_BYTES) return fail('key must be base64 of 33 bytes');
  if (encoded[0] !== ED25519_ALGORITHM) return fail('only Ed25519 (algorithm 0x01) keys are supported');
  const raw = encoded.subarray(1);
  const keyHash = keyHashFor(name, raw);
  if (keyHash.toString('hex') !== hashHex) return fail('key hash does not match name and key');
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
    format: 'jwk',
  });
  return { name, keyHash, publicKey };
}
