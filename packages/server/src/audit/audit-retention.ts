import { actorOf, type HumanPrincipal } from '../credentials/principal.js';
import { WardenError } from '../errors.js';
import { type Storage, writeTransaction } from '../storage/database.js';
import { lockTenant } from '../tenants/lock.js';
import type { AuditLog } from './audit-log.js';

export const MIN_RETENTION_DAYS = 1;
/** A hundred years: far beyond any legal retention, and a bound that keeps the arithmetic exact. */
export const MAX_RETENTION_DAYS = 36_500;

/** How long a tenant's audit payloads stay readable; the retention job acts on it. */
export class RetentionSettings {
  constructor(
    private readonly storage: Storage,
    private readonly log: AuditLog,
    private readonly clock: () => number,
  ) {}

  async days(tenantId: string): Promise<number> {
    const row = await this.storage.db
      .selectFrom('tenants')
      .select('audit_retention_days')
      .where('id', '=', tenantId)
      .executeTakeFirst();
    if (!row) throw new WardenError('not_found', `tenant ${tenantId} not found`);
    return row.audit_retention_days;
  }

  /** Sets the period and audits the change with the old and the new value. */
  async update(principal: HumanPrincipal, days: number): Promise<number> {
    const { tenantId } = principal;
    const now = this.clock();
    await writeTransaction(this.storage, async (trx) => {
      // The old value recorded must be the one replaced, even with two admins saving at once.
      await lockTenant(this.storage, trx, tenantId);
      const row = await trx
        .selectFrom('tenants')
        .select('audit_retention_days')
        .where('id', '=', tenantId)
        .executeTakeFirstOrThrow();
      await trx
        .updateTable('tenants')
        .set({ audit_retention_days: days })
        .where('id', '=', tenantId)
        .execute();
      await this.log.append(trx, tenantId, [
        {
          type: 'audit.retention.update',
          actor: actorOf(principal),
          subject: { type: 'tenant', id: tenantId },
          payload: { oldDays: row.audit_retention_days, newDays: days },
          at: now,
        },
      ]);
    });
    return days;
  }
}
