import type { Storage, Trx } from '../storage/database.js';
import type { ServerEntry } from './server-entry.js';

type Reader = Storage['db'] | Trx;

/** The servers a tenant added through the API (every tenant's when `tenantId` is left out). */
export async function storedServers(
  db: Reader,
  tenantId?: string,
): Promise<{ tenantId: string; entry: ServerEntry }[]> {
  let query = db.selectFrom('mcp_servers').select(['tenant_id', 'definition']).orderBy('name');
  if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
  const rows = await query.execute();
  return rows.map((row) => ({ tenantId: row.tenant_id, entry: JSON.parse(row.definition) as ServerEntry }));
}

export async function storedServer(
  trx: Trx,
  tenantId: string,
  name: string,
): Promise<ServerEntry | undefined> {
  const row = await trx
    .selectFrom('mcp_servers')
    .select('definition')
    .where('tenant_id', '=', tenantId)
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? (JSON.parse(row.definition) as ServerEntry) : undefined;
}

export async function countStoredServers(trx: Trx, tenantId: string): Promise<number> {
  const row = await trx
    .selectFrom('mcp_servers')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertServer(
  trx: Trx,
  tenantId: string,
  entry: ServerEntry,
  by: string,
  now: number,
): Promise<void> {
  await trx
    .insertInto('mcp_servers')
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

export async function updateServer(
  trx: Trx,
  tenantId: string,
  entry: ServerEntry,
  by: string,
  now: number,
): Promise<void> {
  await trx
    .updateTable('mcp_servers')
    .set({ definition: JSON.stringify(entry), updated_at: now, updated_by: by })
    .where('tenant_id', '=', tenantId)
    .where('name', '=', entry.name)
    .execute();
}

export async function deleteServer(trx: Trx, tenantId: string, name: string): Promise<void> {
  await trx.deleteFrom('mcp_servers').where('tenant_id', '=', tenantId).where('name', '=', name).execute();
}
