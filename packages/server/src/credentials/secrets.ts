import { createHash, randomBytes } from 'node:crypto';

export const AGENT_KEY_PREFIX = 'wdn_a_';
export const HUMAN_TOKEN_PREFIX = 'wdn_u_';

export type SecretKind = 'agent' | 'human';

/** A new secret: 256 random bits, base64url, behind a prefix that says who it belongs to. */
export function newSecret(kind: SecretKind): { secret: string; hash: string; hint: string } {
  const secret =
    (kind === 'agent' ? AGENT_KEY_PREFIX : HUMAN_TOKEN_PREFIX) + randomBytes(32).toString('base64url');
  return { secret, hash: hashSecret(secret), hint: secret.slice(0, 10) };
}

/** Secrets are high-entropy, so a plain SHA-256 (no salt, no stretching) is what is stored and looked up. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

const SECRET_PATTERN = /^wdn_[au]_[A-Za-z0-9_-]{43}$/;

export function secretKind(secret: string): SecretKind | undefined {
  if (!SECRET_PATTERN.test(secret)) return undefined;
  return secret.startsWith(AGENT_KEY_PREFIX) ? 'agent' : 'human';
}
