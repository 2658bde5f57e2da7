import type { Signals } from '../signals/signals.js';
import type { Storage } from '../storage/database.js';

export interface TenantFreeze {
  readonly at: number;
  readonly by: string | null;
  readonly reason: string | null;
}

interface Entry {
  readonly freeze: TenantFreeze | null;
  readonly loadedAt: number;
}

/**
 * Whether a tenant is frozen (the tenant-wide kill switch), as the decide path asks on every call.
 * A freeze or thaw is signalled (`tenant.changed`, on every node over LISTEN/NOTIFY) and drops the
 * entry at once; the TTL only bounds how long a missed signal could go unnoticed.
 */
export class TenantState {
  private readonly entries = new Map<string, Entry>();
  private epoch = 0;

  constructor(
    private readonly storage: Storage,
    signals: Signals,
    private readonly ttlMs: number,
    private readonly clock: () => number,
  ) {
    signals.subscribe((signal) => {
      if (signal.type === 'tenant.changed') {
        this.epoch++;
        this.entries.delete(signal.tenantId);
      }
    });
    signals.onReset(() => {
      this.epoch++;
      this.entries.clear();
    });
  }

  async frozen(tenantId: string): Promise<TenantFreeze | null> {
    const now = this.clock();
    const cached = this.entries.get(tenantId);
    if (cached && now - cached.loadedAt <= this.ttlMs) return cached.freeze;
    const epoch = this.epoch;
    const row = await this.storage.db
      .selectFrom('tenants')
      .select(['frozen_at', 'frozen_by', 'frozen_reason'])
      .where('id', '=', tenantId)
      .executeTakeFirst();
    const freeze =
      row?.frozen_at === null || row?.frozen_at === undefined
        ? null
        : { at: row.frozen_at, by: row.frozen_by, reason: row.frozen_reason };
    if (epoch === this.epoch) this.entries.set(tenantId, { freeze, loadedAt: now });
    return freeze;
  }
}
