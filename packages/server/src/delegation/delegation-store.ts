import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { type DelegationGrant, grantFromRow } from './delegation.js';

/** Delegation grant queries, each scoped to a tenant: another tenant's grant does not exist. */

export async function findGrant(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
): Promise<DelegationGrant | undefined> {
  const row = await db
    .selectFrom('delegation_grants')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row && grantFromRow(row);
}

/** Grants an agent gave or received, newest first; only those still in force unless `all`. */
export async function grantsOf(
  db: Kysely<Database>,
  tenantId: string,
  agentId: string,
  options: { readonly all: boolean; readonly now: number },
): Promise<DelegationGrant[]> {
  let query = db
    .selectFrom('delegation_grants')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where((eb) => eb.or([eb('delegator_id', '=', agentId), eb('delegate_id', '=', agentId)]));
  if (!options.all) query = query.where('revoked_at', 'is', null).where('expires_at', '>', options.now);
  const rows = await query.orderBy('id', 'desc').limit(500).execute();
  return rows.map(grantFromRow);
}

/** The decide path's read of a presented grant. */
export class DelegationGrants {
  constructor(private readonly db: Kysely<Database>) {}

  find(tenantId: string, id: string): Promise<DelegationGrant | undefined> {
    return findGrant(this.db, tenantId, id);
  }
}
