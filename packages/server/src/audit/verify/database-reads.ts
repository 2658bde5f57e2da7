import type { Kysely } from 'kysely';
import type { Database } from '../../storage/schema.js';
import { EMPTY_ROOT } from '../merkle/index.js';
import { CannotVerifyError } from './report.js';
import type { StoredCheckpoint } from './signed-checkpoints.js';

export interface TenantRef {
  readonly id: string;
  readonly slug: string;
}

/** The tenant named by its id or its slug. */
export async function resolveTenant(db: Kysely<Database>, slugOrId: string): Promise<TenantRef> {
  let tenant: TenantRef | undefined;
  try {
    tenant = await db
      .selectFrom('tenants')
      .select(['id', 'slug'])
      .where((eb) => eb.or([eb('id', '=', slugOrId), eb('slug', '=', slugOrId)]))
      .executeTakeFirst();
  } catch (error) {
    throw new CannotVerifyError(`cannot read the database: ${(error as Error).message}`);
  }
  if (!tenant) throw new CannotVerifyError(`no tenant "${slugOrId}" in this database`);
  return tenant;
}

export interface LogState {
  readonly size: number;
  readonly root: string;
}

/** What the tenant's log state row claims; a tenant that never appended has the empty log. */
export async function readLogState(db: Kysely<Database>, tenantId: string): Promise<LogState> {
  try {
    const row = await db
      .selectFrom('audit_log_state')
      .select(['size', 'root'])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row ?? { size: 0, root: EMPTY_ROOT.toString('base64') };
  } catch (error) {
    // Verification never migrates (it is read-only): an older schema is the operator's to upgrade.
    throw new CannotVerifyError(
      `cannot read the audit log (${(error as Error).message}); if the schema predates it, run "warden migrate"`,
    );
  }
}

export async function readStoredCheckpoints(
  db: Kysely<Database>,
  tenantId: string,
): Promise<StoredCheckpoint[]> {
  return db
    .selectFrom('audit_checkpoints')
    .select(['size', 'root', 'note'])
    .where('tenant_id', '=', tenantId)
    .orderBy('size')
    .execute();
}
