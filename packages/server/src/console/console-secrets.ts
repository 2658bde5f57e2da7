import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { hashSecret } from '../credentials/secrets.js';

/** The cookie that carries a console session's secret. */
export const SESSION_COOKIE = 'warden_session';
/** The header a cookie-authenticated write must carry (the session's CSRF token). */
export const CSRF_HEADER = 'x-warden-csrf';

const SESSION_PREFIX = 'wdn_s_';
const CODE_PREFIX = 'wdn_c_';
const SESSION_PATTERN = /^wdn_s_[A-Za-z0-9_-]{43}$/;
const CODE_PATTERN = /^wdn_c_[A-Za-z0-9_-]{43}$/;

/**
 * A session's secret or a sign-in code: 256 random bits behind a prefix that says what it is (and
 * that neither is an API credential: `Authorization: Bearer wdn_s_…` is refused like any unknown
 * string). Only the SHA-256 is stored, as for keys and tokens.
 */
function newSecret(prefix: string): { secret: string; hash: string } {
  const secret = prefix + randomBytes(32).toString('base64url');
  return { secret, hash: hashSecret(secret) };
}

export const newSessionSecret = () => newSecret(SESSION_PREFIX);
export const newSignInCode = () => newSecret(CODE_PREFIX);
export const isSessionSecret = (value: string) => SESSION_PATTERN.test(value);
export const isSignInCode = (value: string) => CODE_PATTERN.test(value);

/**
 * The CSRF token of a session, derived from its secret: the page can hold it (it is not the
 * cookie), a cross-site page cannot compute it (it never sees the cookie), and the node need not
 * store it: it is recomputed from the cookie of every write.
 */
export function csrfTokenOf(sessionSecret: string): string {
  return createHmac('sha256', sessionSecret).update('warden console csrf').digest('base64url');
}

/** Whether `given` is the CSRF token of `sessionSecret`, compared in constant time. */
export function csrfMatches(sessionSecret: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const expected = Buffer.from(csrfTokenOf(sessionSecret));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
