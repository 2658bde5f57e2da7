import type { Signals } from '../signals/signals.js';
import { TenantCache } from '../signals/tenant-cache.js';
import type { Storage, Trx } from '../storage/database.js';
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
      (tenantId) => load(storage.db, tenantId),
      ttlMs,
      clock,
    );
  }

  /**
   * Inside a transaction, pass it as `trx`: a reload then reads through it. On SQLite the
   * transaction holds the only connection, so a reload through the pool would wait for it forever.
   */
  get(tenantId: string, trx?: Trx): Promise<TenantBudgets> {
    return trx ? this.cache.get(tenantId, (id) => load(trx, id)) : this.cache.get(tenantId);
  }
}

async function load(db: Storage['db'] | Trx, tenantId: string): Promise<TenantBudgets> {
  const budgets = await listBudgets(db, tenantId);
  const tenant = await db
    .selectFrom('tenants')
    .select('time_zone')
    .where('id', '=', tenantId)
    .executeTakeFirst();
  return { budgets, timeZone: tenant?.time_zone ?? 'UTC' };
}
