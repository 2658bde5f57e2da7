import { type ParsedVerifierKey, parseVerifierKey } from '../checkpoint/index.js';
import { CannotVerifyError } from './report.js';

/** The key every checkpoint must be signed with; a malformed one means nothing can be verified. */
export function verifierKeyFrom(key: string | ParsedVerifierKey): ParsedVerifierKey {
  if (typeof key !== 'string') return key;
  try {
    return parseVerifierKey(key.trim());
  } catch (error) {
    throw new CannotVerifyError((error as Error).message);
  }
}
