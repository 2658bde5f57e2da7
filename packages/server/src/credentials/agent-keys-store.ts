import type { Kysely } from 'kysely';
import type { Trx } from '../storage/database.js';
import type { AgentKeysTable, Database } from '../storage/schema.js';

export interface AgentKeyInfo {
  readonly id: string;
  readonly agentId: string;
  readonly hint: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
  readonly lastUsedAt: number | null;
}

type KeyRow = Omit<AgentKeysTable, 'hash' | 'tenant_id'>;

function keyFromRow(row: KeyRow): AgentKeyInfo {
  return {
    id: row.id,
    agentId: row.agent_id,
    hint: row.hint,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

const KEY_COLUMNS = [
  'id',
  'agent_id',
  'hint',
  'created_at',
  'expires_at',
  'revoked_at',
  'last_used_at',
] as const;

export async function listAgentKeys(
  db: Kysely<Database>,
  tenantId: string,
  agentId: string,
): Promise<AgentKeyInfo[]> {
  const rows = await db
    .selectFrom('agent_keys')
    .select(KEY_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('agent_id', '=', agentId)
    .orderBy('id')
    .execute();
  return rows.map(keyFromRow);
}

export async function findAgentKey(
  db: Kysely<Database>,
  tenantId: string,
  agentId: string,
  keyId: string,
): Promise<(AgentKeyInfo & { hash: string }) | undefined> {
  const row = await db
    .selectFrom('agent_keys')
    .select([...KEY_COLUMNS, 'hash'])
    .where('tenant_id', '=', tenantId)
    .where('agent_id', '=', agentId)
    .where('id', '=', keyId)
    .executeTakeFirst();
  return row && { ...keyFromRow(row), hash: row.hash };
}

/** A key still authenticates at `now` unless it is revoked or expired by then. */
export function isKeyLive(key: { revokedAt: number | null; expiresAt: number | null }, now: number): boolean {
  return (key.revokedAt === null || key.revokedAt > now) && (key.expiresAt === null || key.expiresAt > now);
}

/**
 * Moves the revocation of an agent's keys to `revokeAt` (now, or the end of a rotation overlap).
 * `onlyLive` leaves expired keys alone; a key already revoked earlier keeps its earlier time. Returns
 * the keys whose revocation moved, with their hashes, for cache invalidation.
 */
export async function revokeAgentKeys(
  trx: Trx,
  input: { tenantId: string; agentId: string; revokeAt: number; now: number; onlyLive: boolean },
): Promise<{ id: string; hash: string }[]> {
  let query = trx
    .selectFrom('agent_keys')
    .select(['id', 'hash'])
    .where('tenant_id', '=', input.tenantId)
    .where('agent_id', '=', input.agentId)
    .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', input.revokeAt)]));
  if (input.onlyLive) {
    query = query.where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', input.now)]));
  }
  const keys = await query.orderBy('id').execute();
  if (keys.length === 0) return [];
  await trx
    .updateTable('agent_keys')
    .set({ revoked_at: input.revokeAt })
    .where('tenant_id', '=', input.tenantId)
    .where(
      'id',
      'in',
      keys.map((key) => key.id),
    )
    .execute();
  return keys;
}

export async function revokeAgentKey(trx: Trx, tenantId: string, keyId: string, at: number): Promise<void> {
  await trx
    .updateTable('agent_keys')
    .set({ revoked_at: at })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', keyId)
    .execute();
}
