import type { Storage, Trx } from '../storage/database.js';
import type { ConsoleSessionsTable } from '../storage/schema.js';

/** Why a session ended before its time. */
export type RevokedReason = 'sign_out' | 'revoked' | 'human_disabled';

export interface ConsoleSession {
  readonly id: string;
  readonly tenantId: string;
  readonly humanId: string;
  readonly method: string;
  readonly tokenId: string | null;
  readonly userAgent: string | null;
  readonly createdAt: number;
  readonly lastUsedAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
  readonly revokedReason: string | null;
}

export function sessionFromRow(row: ConsoleSessionsTable): ConsoleSession {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    humanId: row.human_id,
    method: row.method,
    tokenId: row.token_id,
    userAgent: row.user_agent,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    revokedReason: row.revoked_reason,
  };
}

/** A session still in force at `now`: not revoked, not past its absolute end, not idle too long. */
export function isLive(session: ConsoleSession, now: number, idleMs: number): boolean {
  return session.revokedAt === null && session.expiresAt > now && session.lastUsedAt + idleMs > now;
}

/**
 * Ends every live session of a human, in the caller's transaction (a human being disabled).
 * Returns the ids ended.
 */
export async function revokeSessionsOfHuman(
  trx: Trx,
  tenantId: string,
  humanId: string,
  now: number,
  reason: RevokedReason,
): Promise<string[]> {
  const live = await trx
    .selectFrom('console_sessions')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('human_id', '=', humanId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('id')
    .execute();
  if (live.length === 0) return [];
  const ids = live.map((row) => row.id);
  await trx
    .updateTable('console_sessions')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('id', 'in', ids)
    .where('revoked_at', 'is', null)
    .execute();
  return ids;
}

/**
 * Deletes sessions and sign-in codes no one can use any more: past their end, revoked, or idle
 * longer than `idleMs`, kept `graceMs` longer so a person can still see why they were signed out.
 * Deleting is idempotent, so nodes running this at once need no lease.
 */
export async function pruneConsoleSignIns(
  storage: Storage,
  now: number,
  idleMs: number,
  graceMs: number,
): Promise<{ sessions: number; codes: number }> {
  const before = now - graceMs;
  const sessions = await storage.db
    .deleteFrom('console_sessions')
    .where((eb) =>
      eb.or([
        eb('expires_at', '<', before),
        eb('revoked_at', '<', before),
        eb('last_used_at', '<', before - idleMs),
      ]),
    )
    .executeTakeFirst();
  const codes = await storage.db
    .deleteFrom('console_sign_in_codes')
    .where('expires_at', '<', before)
    .executeTakeFirst();
  return { sessions: Number(sessions.numDeletedRows), codes: Number(codes.numDeletedRows) };
}
