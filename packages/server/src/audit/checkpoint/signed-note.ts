import { sign, verify } from 'node:crypto';
import { type Failure, failure, type Result } from '../../result.js';
import { decodeCanonicalBase64, isCleanText, isValidKeyName } from './note-text.js';
import type { SigningKey } from './signing-key.js';
import { keyHashFor, type ParsedVerifierKey, rawEd25519PublicKey } from './verifier-key.js';

/** Notes come from other systems and storage we do not control; bounded work per note. */
export const MAX_NOTE_BYTES = 64 * 1024;
export const MAX_NOTE_SIGNATURES = 100;

const SIGNATURE_LINE_PREFIX = '\u2014 ';
const ED25519_SIGNATURE_BYTES = 64;
const KEY_HASH_BYTES = 4;

export interface NoteSignature {
  readonly name: string;
  readonly keyHash: Buffer;
  readonly signature: Buffer;
}

/** A note split into its signed text (ending in "\n") and its signature lines, none yet checked. */
export interface SplitNote {
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

export type SplitNoteResult = Result<{ note: SplitNote }, Failure<'malformed'>>;

export type NoteVerification = Result<object, Failure<'unknown_key' | 'bad_signature'>>;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Parses the signed-note framing. Total: hostile input yields `{ ok: false }`, never an exception. */
export function splitSignedNote(input: string | Uint8Array): SplitNoteResult {
  const malformed = (message: string): SplitNoteResult => failure('malformed', message);
  const tooLarge = `note exceeds ${MAX_NOTE_BYTES} bytes`;
  let note: string;
  if (typeof input === 'string') {
    // Each UTF-16 unit encodes to at least one byte, so the length check bounds the byte count cheaply.
    if (input.length > MAX_NOTE_BYTES || Buffer.byteLength(input, 'utf8') > MAX_NOTE_BYTES)
      return malformed(tooLarge);
    note = input;
  } else {
    if (input.byteLength > MAX_NOTE_BYTES) return malformed(tooLarge);
    try {
      note = utf8.decode(input);
    } catch {
      return malformed('note is not valid UTF-8');
    }
  }
  if (!isCleanText(note)) return malformed('note has control characters or invalid UTF-8');

  const separator = note.lastIndexOf('\n\n');
  if (separator < 0) return malformed('no blank line between text and signatures');
  const text = note.slice(0, separator + 1);
  const block = note.slice(separator + 2);
  if (!block.endsWith('\n')) return malformed('signature block missing or not ending in a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) return malformed(`more than ${MAX_NOTE_SIGNATURES} signatures`);

  const signatures: NoteSignature[] = [];
  for (const line of lines) {
    const signature = parseSignatureLine(line);
    if (!signature) return malformed(`bad signature line ${JSON.stringify(line.slice(0, 120))}`);
    signatures.push(signature);
  }
  return { ok: true, note: { text, signatures } };
}

/**
 * A note cut short while it was written (a crash mid-write): the start of a note beginning with
 * `opening` (or of `opening` itself), but empty, not ending in a newline, or without its signature
 * block. A complete note whose signature fails is not torn, nor is text that never began as this
 * note: those are forged.
 */
export function isTornNote(text: string, opening: string): boolean {
  if (!(opening.startsWith(text) || text.startsWith(opening)) || splitSignedNote(text).ok) return false;
  const separator = text.lastIndexOf('\n\n');
  return text === '' || !text.endsWith('\n') || separator < 0 || separator + 2 === text.length;
}

/** `— <name> <base64(key hash || Ed25519 signature over text)>\n` */
export function signatureLineFor(text: string, key: SigningKey): string {
  const keyHash = keyHashFor(key.name, rawEd25519PublicKey(key.publicKey));
  const signature = sign(null, Buffer.from(text, 'utf8'), key.privateKey);
  return `${SIGNATURE_LINE_PREFIX}${key.name} ${Buffer.concat([keyHash, signature]).toString('base64')}\n`;
}

/**
 * Lines from other keys are skipped: a note may be cosigned by witnesses we do not know. Every line
 * that claims to be from the expected key must verify, and at least one must exist.
 */
export function verifyNoteSignature(note: SplitNote, verifier: ParsedVerifierKey): NoteVerification {
  const text = Buffer.from(note.text, 'utf8');
  let verified = false;
  for (const { name, keyHash, signature } of note.signatures) {
    if (name !== verifier.name || !keyHash.equals(verifier.keyHash)) continue;
    if (signature.length !== ED25519_SIGNATURE_BYTES || !verify(null, text, verifier.publicKey, signature))
      return failure('bad_signature', `signature by ${name} does not verify`);
    verified = true;
  }
  return verified ? { ok: true } : failure('unknown_key', `no signature by ${verifier.name} on the note`);
}

function parseSignatureLine(line: string): NoteSignature | undefined {
  if (!line.startsWith(SIGNATURE_LINE_PREFIX)) return undefined;
  const fields = line.slice(SIGNATURE_LINE_PREFIX.length).split(' ');
  if (fields.length !== 2) return undefined;
  const [name = '', encoded = ''] = fields;
  if (!isValidKeyName(name)) return undefined;
  const bytes = decodeCanonicalBase64(encoded);
  if (!bytes || bytes.length <= KEY_HASH_BYTES) return undefined;
  return { name, keyHash: bytes.subarray(0, KEY_HASH_BYTES), signature: bytes.subarray(KEY_HASH_BYTES) };
}
