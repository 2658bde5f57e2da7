import type { Signals } from '../signals/signals.js';
import { TenantCache } from '../signals/tenant-cache.js';
import type { Storage } from '../storage/database.js';
import type { Budget } from './budget.js';
import { listBudgets } from './budget-store.js';

export interface TenantBudgets {
  readonly budgets: readonly Budget[];
  readonly timeZone: string;
}

/**
 * Each tenant's budget definitions and time zone, as the decide path needs them on every call; a
 * change (`budgets.changed`, on every node) drops the tenant at once.
 */
export class BudgetCache {
  private readonly cache: TenantCache<TenantBudgets>;

  constructor(storage: Storage, signals: Signals, ttlMs: number, clock: () => number) {
    this.cache = new TenantCache(
      signals,
      'budgets.changed',
      async (tenantId) => {
        const [budgets, tenant] = await Promise.all([
          listBudgets(storage.db, tenantId),
          storage.db.selectFrom('tenants').select('time_zone').where('id', '=', tenantId).executeTakeFirst(),
        ]);
        return { budgets, timeZone: tenant?.time_zone ?? 'UTC' };
      },
      ttlMs,
      clock,
    );
  }

  get(tenantId: string): Promise<TenantBudgets> {
    return this.cache.get(tenantId);
  }
}
