import type { Signals } from '../signals/signals.js';
import { TenantCache } from '../signals/tenant-cache.js';
import type { Storage } from '../storage/database.js';

export interface TenantFreeze {
  readonly at: number;
  readonly by: string | null;
  readonly reason: string | null;
}

/**
 * Whether a tenant is frozen (the tenant-wide kill switch), as the decide path asks on every call.
 * A freeze or thaw is signalled (`tenant.changed`, on every node over LISTEN/NOTIFY) and drops the
 * tenant at once.
 */
export class TenantState {
  private readonly cache: TenantCache<TenantFreeze | null>;

  constructor(storage: Storage, signals: Signals, ttlMs: number, clock: () => number) {
    this.cache = new TenantCache(
      signals,
      'tenant.changed',
      async (tenantId) => {
        const row = await storage.db
          .selectFrom('tenants')
          .select(['frozen_at', 'frozen_by', 'frozen_reason'])
          .where('id', '=', tenantId)
          .executeTakeFirst();
        return row?.frozen_at === null || row?.frozen_at === undefined
          ? null
          : { at: row.frozen_at, by: row.frozen_by, reason: row.frozen_reason };
      },
      ttlMs,
      clock,
    );
  }

  frozen(tenantId: string): Promise<TenantFreeze | null> {
    return this.cache.get(tenantId);
  }
}
