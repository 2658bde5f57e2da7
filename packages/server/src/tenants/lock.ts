import type { Storage, Trx } from '../storage/database.js';

/**
 * Serialises a tenant's membership writes (last-admin check, unique names and emails) across
 * nodes. SQLite needs nothing: writeTransaction already holds the database's write lock.
 *
 * FOR NO KEY UPDATE, not FOR UPDATE: it still serialises these writers, but it does not block the
 * key-share lock every insert referencing the tenant takes for its foreign key. With FOR UPDATE, a
 * writer holding this lock and waiting for the audit log's state deadlocked against a decision
 * holding the log's state and inserting a row that references the tenant.
 */
export async function lockTenant(storage: Storage, trx: Trx, tenantId: string): Promise<void> {
  if (storage.dialect !== 'postgres') return;
  await trx.selectFrom('tenants').select('id').where('id', '=', tenantId).forNoKeyUpdate().execute();
}
