import { hash } from 'node:crypto';

/**
 * The RFC 6962 leaf hash of an event body, SHA-256(0x00 || UTF-8 body): the same value as merkle's
 * leafHash, computed in one call on one string (U+0000 encodes as the single byte 0x00). Full
 * verification hashes every event, and this saves a buffer and a hash object on each.
 */
export function bodyLeafHash(body: string): Buffer {
  return hash('sha256', `\u0000${body}`, 'buffer');
}
