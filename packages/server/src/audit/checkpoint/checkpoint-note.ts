import type { Failure, Result } from '../../result.js';
import { type Checkpoint, formatCheckpointBody, parseCheckpointBody } from './checkpoint-body.js';
import { signatureLineFor, splitSignedNote, verifyNoteSignature } from './signed-note.js';
import type { SigningKey } from './signing-key.js';
import { type ParsedVerifierKey, parseVerifierKey } from './verifier-key.js';

export { type Checkpoint, formatCheckpointBody } from './checkpoint-body.js';

export type OpenCheckpointResult = Result<
  { checkpoint: Checkpoint },
  Failure<'malformed' | 'unknown_key' | 'bad_signature'>
>;

export type ParseCheckpointResult = Result<{ checkpoint: Checkpoint }, Failure<'malformed'>>;

/** The full signed note: body, blank line, one signature line by `key`. */
export function signCheckpoint(checkpoint: Checkpoint, key: SigningKey): string {
  const body = formatCheckpointBody(checkpoint);
  return `${body}\n${signatureLineFor(body, key)}`;
}

/**
 * Verifies a checkpoint note against the expected key and parses it. Never throws on the note; a
 * malformed verifier key string does throw, since that is configuration and not input.
 */
export function openCheckpoint(
  note: string | Uint8Array,
  verifierKey: string | ParsedVerifierKey,
): OpenCheckpointResult {
  const verifier = typeof verifierKey === 'string' ? parseVerifierKey(verifierKey) : verifierKey;
  const split = splitSignedNote(note);
  if (!split.ok) return split;
  // The body is parsed before the signature is checked so a garbled note from a known key reports
  // "malformed" rather than sending someone hunting for a key problem.
  const body = parseCheckpointBody(split.note.text);
  if (!body.ok) return body;
  const verification = verifyNoteSignature(split.note, verifier);
  if (!verification.ok) return verification;
  return { ok: true, checkpoint: body.checkpoint };
}

/** For display and comparison where no key is at hand: same strictness, signatures not checked. */
export function parseCheckpointUnverified(note: string | Uint8Array): ParseCheckpointResult {
  const split = splitSignedNote(note);
  if (!split.ok) return split;
  return parseCheckpointBody(split.note.text);
}
