import type { Kysely } from 'kysely';
import type { AuditActor } from '../audit/audit-log.js';
import { forbidden } from '../errors.js';
import type { Dialect, Trx } from '../storage/database.js';
import type { Database } from '../storage/schema.js';
import type { TenantFreeze } from './tenant-state.js';

type Reader = Pick<Kysely<Database>, 'selectFrom'>;

/** The freeze as stored, read fresh (the status route and write paths must not trust a node's cache). */
export async function readFreeze(db: Reader, tenantId: string): Promise<TenantFreeze | null | undefined> {
  const row = await db
    .selectFrom('tenants')
    .select(['frozen_at', 'frozen_by', 'frozen_reason'])
    .where('id', '=', tenantId)
    .executeTakeFirst();
  if (!row) return undefined;
  return row.frozen_at === null ? null : { at: row.frozen_at, by: row.frozen_by, reason: row.frozen_reason };
}

/**
 * Reads the freeze holding the tenant row until commit, so a freeze and a thaw racing on two nodes
 * take turns. SQLite's write transaction is already exclusive. Undefined when there is no tenant.
 */
export async function lockFreeze(
  trx: Trx,
  dialect: Dialect,
  tenantId: string,
): Promise<TenantFreeze | null | undefined> {
  const row = await trx
    .selectFrom('tenants')
    .select(['frozen_at', 'frozen_by', 'frozen_reason'])
    .where('id', '=', tenantId)
    .$if(dialect === 'postgres', (qb) => qb.forUpdate())
    .executeTakeFirst();
  if (!row) return undefined;
  return row.frozen_at === null ? null : { at: row.frozen_at, by: row.frozen_by, reason: row.frozen_reason };
}

export async function writeFreeze(trx: Trx, tenantId: string, freeze: TenantFreeze | null): Promise<void> {
  await trx
    .updateTable('tenants')
    .set({
      frozen_at: freeze?.at ?? null,
      frozen_by: freeze?.by ?? null,
      frozen_reason: freeze?.reason ?? null,
    })
    .where('id', '=', tenantId)
    .execute();
}

/** How `frozen_by` names whoever froze the tenant: a human's id, else `system:budgets`, `agent:agt_…`. */
export function frozenBy(actor: AuditActor): string {
  return actor.type === 'human' ? actor.id : `${actor.type}:${actor.id}`;
}

/**
 * Refuses an agent-facing write while the tenant is frozen (spawning a sub-agent). It reads the row
 * in the caller's transaction, so a write that commits after a freeze cannot slip past it.
 */
export async function assertNotFrozen(db: Reader, tenantId: string): Promise<void> {
  const freeze = await readFreeze(db, tenantId);
  if (freeze) {
    throw forbidden(
      `tenant frozen${freeze.reason ? ` (${freeze.reason})` : ''}: nothing may be created until an admin lifts the freeze`,
    );
  }
}
