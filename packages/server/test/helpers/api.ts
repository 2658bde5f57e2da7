import type { StoredEvent } from '../../src/audit/stored-event.js';
import { issueHumanToken } from '../../src/credentials/issue.js';
import { newId } from '../../src/ids.js';
import type { WardenNode } from '../../src/main.js';
import { writeTransaction } from '../../src/storage/database.js';
import type { HumanRole } from '../../src/tenants/roles.js';
import { createTenant } from '../../src/tenants/tenant-service.js';

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** One request through the node's app, with a bearer credential when given. */
export function request(node: WardenNode, method: Method, url: string, token?: string, payload?: object) {
  return node.app.inject({
    method,
    url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(payload ? { payload } : {}),
  });
}

/** The audit events about these subjects, in log order, decoded with their payloads opened. */
export async function auditEventsOf(node: WardenNode, subjectIds: string | readonly string[]) {
  const rows = await node.storage.db
    .selectFrom('audit_events')
    .selectAll()
    .where('subject_id', 'in', typeof subjectIds === 'string' ? [subjectIds] : [...subjectIds])
    .orderBy('seq')
    .execute();
  return Promise.all(
    rows.map(async (row) => {
      const event = JSON.parse(row.body) as StoredEvent;
      const payload = await node.auditTrail.sealer.openPayload(row.tenant_id, row.id, event.payload);
      return { ...event, row, payload: payload as Record<string, unknown> | null };
    }),
  );
}

/** A second tenant with its own admin, for wrong-tenant tests. */
export async function createOtherTenant(node: WardenNode, slug = 'other', name = 'Other Inc') {
  const other = await createTenant(node.storage, node.audit, {
    slug,
    name,
    adminEmail: `admin@${slug}.test`,
  });
  if (!other) throw new Error('second tenant not created');
  return {
    tenantId: other.tenant.id,
    adminToken: other.adminToken.secret,
    adminId: other.adminId,
    tokenId: other.adminToken.id,
  };
}

let humanSerial = 0;

/** A human put straight into storage with a token, so tests need not depend on the humans routes. */
export async function addHuman(
  node: WardenNode,
  roles: HumanRole[],
  options: { tenantId?: string; status?: 'active' | 'disabled'; now?: number } = {},
): Promise<{ id: string; token: string; email: string }> {
  const now = options.now ?? Date.now();
  const tenantId = options.tenantId ?? node.bootstrap.tenant.id;
  const id = newId('usr', now);
  const serial = ++humanSerial;
  const email = `person${serial}@example.test`;
  const token = await writeTransaction(node.storage, async (trx) => {
    await trx
      .insertInto('humans')
      .values({
        id,
        tenant_id: tenantId,
        email,
        name: `Person ${serial}`,
        roles: JSON.stringify(roles),
        status: options.status ?? 'active',
        created_at: now,
        updated_at: now,
      })
      .execute();
    return issueHumanToken(trx, { tenantId, humanId: id, name: 'test', expiresAt: null, now });
  });
  return { id, token: token.secret, email };
}
