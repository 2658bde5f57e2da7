import { type Static, Type } from 'typebox';
import { IdOf, IsoTime, NullableIsoTime, toIso } from '../../http/schemas.js';
import type { AgentKeyInfo } from '../agent-keys-store.js';
import type { IssuedSecret } from '../issue.js';

/** A key as it is shown right after it was issued, next to its one-time secret. */
export const IssuedKeySchema = Type.Object({
  id: IdOf('key'),
  hint: Type.String(),
  createdAt: IsoTime,
  expiresAt: NullableIsoTime,
});
export type IssuedKeyJson = Static<typeof IssuedKeySchema>;

/** A key in listings: never its secret or hash. */
export const AgentKeySchema = Type.Object({
  id: IdOf('key'),
  hint: Type.String(),
  createdAt: IsoTime,
  expiresAt: NullableIsoTime,
  revokedAt: NullableIsoTime,
  lastUsedAt: NullableIsoTime,
});
export type AgentKeyJson = Static<typeof AgentKeySchema>;

export function issuedKeyJson(key: IssuedSecret): IssuedKeyJson {
  return { id: key.id, hint: key.hint, createdAt: toIso(key.createdAt), expiresAt: toIso(key.expiresAt) };
}

export function agentKeyJson(key: AgentKeyInfo): AgentKeyJson {
  return {
    id: key.id,
    hint: key.hint,
    createdAt: toIso(key.createdAt),
    expiresAt: toIso(key.expiresAt),
    revokedAt: toIso(key.revokedAt),
    lastUsedAt: toIso(key.lastUsedAt),
  };
}
