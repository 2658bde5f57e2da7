import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditLog } from '../audit/audit-log.js';
import type { Storage } from '../storage/database.js';
import { type CreatedTenant, createTenant, findTenantBySlug, type Tenant } from './tenant-service.js';

export const ADMIN_TOKEN_FILE = 'admin-token';

export interface Bootstrap {
  readonly tenant: Tenant;
  /** Present only on the start that created the tenant: the admin token is shown once. */
  readonly created?: CreatedTenant;
  readonly tokenFile?: string;
}

/**
 * The first start creates the default tenant and its admin, and writes the admin's token to a file
 * only the current user can read. Later starts (and other nodes that lose the race) find the tenant.
 */
export async function ensureDefaultTenant(
  storage: Storage,
  audit: AuditLog,
  input: { slug: string; adminEmail: string; dataDir: string },
): Promise<Bootstrap> {
  const existing = await findTenantBySlug(storage, input.slug);
  if (existing) return { tenant: existing };
  const created = await createTenant(storage, audit, {
    slug: input.slug,
    name: input.slug,
    adminEmail: input.adminEmail,
  });
  if (!created) {
    const raced = await findTenantBySlug(storage, input.slug);
    if (!raced) throw new Error(`tenant ${input.slug} could not be created`);
    return { tenant: raced };
  }
  await mkdir(input.dataDir, { recursive: true, mode: 0o700 });
  const tokenFile = join(input.dataDir, ADMIN_TOKEN_FILE);
  await writeFile(tokenFile, `${created.adminToken.secret}\n`, { mode: 0o600 });
  await chmod(tokenFile, 0o600);
  return { tenant: created.tenant, created, tokenFile };
}
