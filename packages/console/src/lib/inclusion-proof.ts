/**
 * Checking an audit event's inclusion proof in the browser, with WebCrypto only: the same RFC 6962
 * hashing as the node's audit log (leaf SHA-256(0x00 || body), node SHA-256(0x01 || left || right)),
 * the RFC 9162 §2.1.3.2 inclusion verification, and the C2SP signed-note checkpoint signed with Ed25519.
 *
 * What a green badge means: the event's leaf hash (as listed by the audit search) is leaf `seq` of the
 * tree whose root the checkpoint states, and the checkpoint note carries a valid Ed25519 signature by
 * the key named in the verifier key. Nothing here trusts the node's own "root" field: the root is
 * recomputed from the proof and compared with the root inside the signed note.
 */

const HASH_BYTES = 32;
const ED25519_ALGORITHM = 0x01;

export interface ProofInput {
  /** base64 leaf hash of the event, as listed by GET /v1/audit/events. */
  readonly leafHash: string;
  readonly seq: number;
  readonly size: number;
  readonly proof: readonly string[];
  /** The signed checkpoint note of exactly `size` leaves. */
  readonly checkpoint: string;
  /** `<name>+<key hash hex>+<base64(0x01 || Ed25519 public key)>` */
  readonly verifierKey: string;
}

export type ProofCheck =
  | {
      readonly ok: true;
      readonly root: string;
      readonly size: number;
      readonly signedBy: string;
      readonly signature: 'verified';
    }
  | {
      readonly ok: true;
      readonly root: string;
      readonly size: number;
      readonly signedBy: string;
      readonly signature: 'unsupported';
    }
  | { readonly ok: false; readonly reason: string };

// Return types left to inference: the same code is typed against the DOM (the browser) and Node's
// WebCrypto (its unit test), whose type names differ.
function subtle() {
  return globalThis.crypto.subtle;
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const input = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    input.set(part, offset);
    offset += part.length;
  }
  return new Uint8Array(await subtle().digest('SHA-256', input));
}

/** RFC 6962 leaf hash of an event body's UTF-8 bytes. */
export function leafHash(body: string): Promise<Uint8Array> {
  return sha256(Uint8Array.of(0x00), new TextEncoder().encode(body));
}

function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  return sha256(Uint8Array.of(0x01), left, right);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** The root an inclusion proof leads to (RFC 9162 §2.1.3.2), or undefined when it cannot be for that position. */
export async function rootFromInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
): Promise<Uint8Array | undefined> {
  if (leaf.length !== HASH_BYTES || index < 0 || index >= size || proof.some((p) => p.length !== HASH_BYTES))
    return undefined;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

interface ParsedNote {
  readonly text: string;
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  readonly signatures: Array<{ name: string; keyHash: Uint8Array; signature: Uint8Array }>;
}

/** The checkpoint body (origin, size, root, time) and its signature lines. */
export function parseCheckpointNote(note: string): ParsedNote | undefined {
  const separator = note.lastIndexOf('\n\n');
  if (separator < 0 || !note.endsWith('\n')) return undefined;
  const text = note.slice(0, separator + 1);
  const lines = text.slice(0, -1).split('\n');
  if (lines.length !== 4) return undefined;
  const [origin = '', sizeText = '', rootText = ''] = lines;
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) return undefined;
  const signatures = [];
  for (const line of note.slice(separator + 2, -1).split('\n')) {
    const match = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!match) return undefined;
    const bytes = fromBase64(match[2] ?? '');
    signatures.push({ name: match[1] ?? '', keyHash: bytes.subarray(0, 4), signature: bytes.subarray(4) });
  }
  return { text, origin, size: Number(sizeText), root: fromBase64(rootText), signatures };
}

interface VerifierKey {
  readonly name: string;
  readonly keyHash: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** Parses and checks a verifier key: its key hash must match SHA-256(name || "\n" || 0x01 || key)[:4]. */
export async function parseVerifierKey(text: string): Promise<VerifierKey | undefined> {
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) return undefined;
  const name = text.slice(0, first);
  const hashHex = text.slice(first + 1, second);
  const encoded = fromBase64(text.slice(second + 1));
  if (encoded.length !== 33 || encoded[0] !== ED25519_ALGORITHM) return undefined;
  const publicKey = encoded.subarray(1);
  const keyHash = (
    await sha256(new TextEncoder().encode(`${name}\n`), Uint8Array.of(ED25519_ALGORITHM), publicKey)
  ).subarray(0, 4);
  const hex = Array.from(keyHash, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return hex === hashHex ? { name, keyHash, publicKey } : undefined;
}

/** Whether this browser's WebCrypto verifies Ed25519 (Chromium 137+, Firefox 129+, Safari 17+). */
async function importEd25519(raw: Uint8Array) {
  try {
    return await subtle().importKey('raw', new Uint8Array(raw), { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return undefined;
  }
}

/** Verifies everything the browser can: proof → root, root = the signed note's root, the note's signature. */
export async function verifyInclusionProof(input: ProofInput): Promise<ProofCheck> {
  const note = parseCheckpointNote(input.checkpoint);
  if (!note) return { ok: false, reason: 'the checkpoint is not a well-formed signed note' };
  if (note.size !== input.size)
    return { ok: false, reason: `the checkpoint is of size ${note.size}, not ${input.size}` };
  const root = await rootFromInclusion(
    fromBase64(input.leafHash),
    input.seq,
    input.size,
    input.proof.map(fromBase64),
  );
  if (!root) return { ok: false, reason: 'the proof does not fit the event’s position in the log' };
  if (!sameBytes(root, note.root))
    return {
      ok: false,
      reason: 'the root computed from the proof differs from the signed checkpoint’s root',
    };
  const verifier = await parseVerifierKey(input.verifierKey);
  if (!verifier) return { ok: false, reason: 'the verifier key is malformed or its key hash does not match' };
  const line = note.signatures.find(
    (s) => s.name === verifier.name && sameBytes(s.keyHash, verifier.keyHash),
  );
  if (!line) return { ok: false, reason: `the checkpoint carries no signature by ${verifier.name}` };
  const rootText = toBase64(root);
  const key = await importEd25519(verifier.publicKey);
  if (!key)
    return { ok: true, root: rootText, size: note.size, signedBy: verifier.name, signature: 'unsupported' };
  const valid = await subtle().verify(
    { name: 'Ed25519' },
    key,
    new Uint8Array(line.signature),
    new TextEncoder().encode(note.text),
  );
  if (!valid)
    return { ok: false, reason: `the signature by ${verifier.name} on the checkpoint does not verify` };
  return { ok: true, root: rootText, size: note.size, signedBy: verifier.name, signature: 'verified' };
}
