import type { Kysely } from 'kysely';
import type { HumanRef } from '../agents/agent-store.js';
import type { Database } from '../storage/schema.js';
import type { HumanRole } from './roles.js';

/**
 * The tenant's active humans who are one of `ids` or hold one of `roles`, each once, by id: the
 * people a notice goes to (an owner and security, the admins, ...). Tenants hold people in the
 * hundreds and roles are a JSON list, so filtering here stays portable across databases.
 */
export async function activeHumans(
  db: Kysely<Database>,
  tenantId: string,
  who: { readonly ids?: readonly string[]; readonly roles?: readonly HumanRole[] },
): Promise<HumanRef[]> {
  const rows = await db
    .selectFrom('humans')
    .select(['id', 'email', 'name', 'roles'])
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'active')
    .orderBy('id')
    .execute();
  const ids = who.ids ?? [];
  const roles = who.roles ?? [];
  return rows
    .filter(
      (row) =>
        ids.includes(row.id) || (JSON.parse(row.roles) as HumanRole[]).some((role) => roles.includes(role)),
    )
    .map(({ id, email, name }) => ({ id, email, name }));
}
