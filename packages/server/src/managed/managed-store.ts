import type { Storage, Trx } from '../storage/database.js';

/** The tables of entries managed through the API: the same columns, one table per kind. */
export type ManagedTable = 'mcp_servers' | 'llm_providers';

type Reader = Storage['db'] | Trx;

/** The entries of one kind a tenant added through the API (every tenant's when `tenantId` is left out). */
export async function storedEntries<E>(
  db: Reader,
  table: ManagedTable,
  tenantId?: string,
): Promise<{ tenantId: string; entry: E }[]> {
  let query = db.selectFrom(table).select(['tenant_id', 'definition']).orderBy('name');
  if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
  const rows = await query.execute();
  return rows.map((row) => ({ tenantId: row.tenant_id, entry: JSON.parse(row.definition) as E }));
}

export async function storedEntry<E>(
  trx: Trx,
  table: ManagedTable,
  tenantId: string,
  name: string,
): Promise<E | undefined> {
  const row = await trx
    .selectFrom(table)
    .select('definition')
    .where('tenant_id', '=', tenantId)
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? (JSON.parse(row.definition) as E) : undefined;
}

export async function countStored(trx: Trx, table: ManagedTable, tenantId: string): Promise<number> {
  const row = await trx
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertEntry(
  trx: Trx,
  table: ManagedTable,
  tenantId: string,
  entry: { readonly name: string },
  by: string,
  now: number,
): Promise<void> {
  await trx
    .insertInto(table)
    .values({
      tenant_id: tenantId,
      name: entry.name,
      definition: JSON.stringify(entry),
      created_at: now,
      created_by: by,
      updated_at: now,
      updated_by: by,
    })
    .execute();
}

export async function updateEntry(
  trx: Trx,
  table: ManagedTable,
  tenantId: string,
  entry: { readonly name: string },
  by: string,
  now: number,
): Promise<void> {
  await trx
    .updateTable(table)
    .set({ definition: JSON.stringify(entry), updated_at: now, updated_by: by })
    .where('tenant_id', '=', tenantId)
    .where('name', '=', entry.name)
    .execute();
}

export async function deleteEntry(
  trx: Trx,
  table: ManagedTable,
  tenantId: string,
  name: string,
): Promise<void> {
  await trx.deleteFrom(table).where('tenant_id', '=', tenantId).where('name', '=', name).execute();
}
