import type { AuditLog } from '../audit/audit-log.js';
import { type IssuedSecret, issueHumanToken } from '../credentials/issue.js';
import { newId } from '../ids.js';
import { type Storage, writeTransaction } from '../storage/database.js';

export interface Tenant {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly createdAt: number;
}

export interface CreatedTenant {
  readonly tenant: Tenant;
  readonly adminId: string;
  readonly adminToken: IssuedSecret;
}

/**
 * Creates a tenant with its first admin and that admin's token, in one transaction. Returns
 * undefined when the slug is taken (another node won a race to create it).
 */
export async function createTenant(
  storage: Storage,
  audit: AuditLog,
  input: { slug: string; name: string; adminEmail: string; now?: number },
): Promise<CreatedTenant | undefined> {
  const now = input.now ?? Date.now();
  return writeTransaction(storage, async (trx) => {
    const tenant: Tenant = { id: newId('ten', now), slug: input.slug, name: input.name, createdAt: now };
    const inserted = await trx
      .insertInto('tenants')
      .values({ id: tenant.id, slug: tenant.slug, name: tenant.name, created_at: now })
      .onConflict((oc) => oc.column('slug').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return undefined;
    const adminId = newId('usr', now);
    await trx
      .insertInto('humans')
      .values({
        id: adminId,
        tenant_id: tenant.id,
        email: input.adminEmail,
        name: 'Administrator',
        roles: JSON.stringify(['admin']),
        status: 'active',
        created_at: now,
        updated_at: now,
      })
      .execute();
    const adminToken = await issueHumanToken(trx, {
      tenantId: tenant.id,
      humanId: adminId,
      name: 'initial admin token',
      expiresAt: null,
      now,
    });
    const actor = { type: 'system' as const, id: 'bootstrap' };
    await audit.append(trx, tenant.id, [
      {
        type: 'tenant.create',
        actor,
        subject: { type: 'tenant', id: tenant.id },
        payload: { slug: tenant.slug },
        at: now,
      },
      {
        type: 'human.create',
        actor,
        subject: { type: 'human', id: adminId },
        payload: { email: input.adminEmail, roles: ['admin'] },
        at: now,
      },
      {
        type: 'token.create',
        actor,
        subject: { type: 'token', id: adminToken.id },
        payload: { humanId: adminId, hint: adminToken.hint },
        at: now,
      },
    ]);
    return { tenant, adminId, adminToken };
  });
}

export async function findTenantBySlug(storage: Storage, slug: string): Promise<Tenant | undefined> {
  const row = await storage.db.selectFrom('tenants').selectAll().where('slug', '=', slug).executeTakeFirst();
  return row && { id: row.id, slug: row.slug, name: row.name, createdAt: row.created_at };
}

export async function listTenants(storage: Storage): Promise<Tenant[]> {
  const rows = await storage.db.selectFrom('tenants').selectAll().orderBy('id').execute();
  return rows.map((row) => ({ id: row.id, slug: row.slug, name: row.name, createdAt: row.created_at }));
}

export async function findTenantById(storage: Storage, id: string): Promise<Tenant | undefined> {
  const row = await storage.db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
  return row && { id: row.id, slug: row.slug, name: row.name, createdAt: row.created_at };
}
