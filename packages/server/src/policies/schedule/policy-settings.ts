import type { AuditActor, AuditLog } from '../../audit/audit-log.js';
import { type Storage, writeTransaction } from '../../storage/database.js';

/** The longest grace period a reload may be held for: 30 days. */
export const MAX_NOTIFY_FIRST_SECONDS = 30 * 86_400;

/** Per tenant, how long a reload that takes allows away from active agents waits (0: not at all). */
export class PolicySettings {
  constructor(
    private readonly storage: Storage,
    private readonly audit: AuditLog,
    private readonly clock: () => number,
  ) {}

  async notifyFirstSeconds(tenantId: string): Promise<number> {
    const row = await this.storage.db
      .selectFrom('policy_settings')
      .select('notify_first_seconds')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row ? Number(row.notify_first_seconds) : 0;
  }

  async setNotifyFirstSeconds(tenantId: string, seconds: number, actor: AuditActor): Promise<void> {
    const now = this.clock();
    await writeTransaction(this.storage, async (trx) => {
      const before = await trx
        .selectFrom('policy_settings')
        .select('notify_first_seconds')
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst();
      const row = { notify_first_seconds: seconds, updated_by: `${actor.type}:${actor.id}`, updated_at: now };
      await trx
        .insertInto('policy_settings')
        .values({ tenant_id: tenantId, ...row })
        .onConflict((oc) => oc.column('tenant_id').doUpdateSet(row))
        .execute();
      await this.audit.append(trx, tenantId, [
        {
          type: 'policy.settings.update',
          actor,
          subject: { type: 'tenant', id: tenantId },
          payload: {
            notifyFirstSeconds: seconds,
            previousNotifyFirstSeconds: before ? Number(before.notify_first_seconds) : 0,
          },
          at: now,
        },
      ]);
    });
  }
}
