import type { Storage, Trx } from '../storage/database.js';

/**
 * Serialises a tenant's membership writes (last-admin check, unique names and emails) across
 * nodes. SQLite needs nothing: writeTransaction already holds the database's write lock.
 */
export async function lockTenant(storage: Storage, trx: Trx, tenantId: string): Promise<void> {
  if (storage.dialect !== 'postgres') return;
  await trx.selectFrom('tenants').select('id').where('id', '=', tenantId).forUpdate().execute();
}
