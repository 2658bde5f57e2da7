import type { Signals } from '../signals/signals.js';
import type { Storage } from '../storage/database.js';
import type { Budget } from './budget.js';
import { listBudgets } from './budget-store.js';

interface Entry {
  readonly budgets: readonly Budget[];
  readonly timeZone: string;
  readonly loadedAt: number;
}

/**
 * Each tenant's budget definitions and time zone, as the decide path needs them on every call. A
 * change is signalled (`budgets.changed`, on every node) and drops the entry at once.
 */
export class BudgetCache {
  private readonly entries = new Map<string, Entry>();
  private epoch = 0;

  constructor(
    private readonly storage: Storage,
    signals: Signals,
    private readonly ttlMs: number,
    private readonly clock: () => number,
  ) {
    signals.subscribe((signal) => {
      if (signal.type === 'budgets.changed') {
        this.epoch++;
        this.entries.delete(signal.tenantId);
      }
    });
    signals.onReset(() => {
      this.epoch++;
      this.entries.clear();
    });
  }

  async get(tenantId: string): Promise<{ budgets: readonly Budget[]; timeZone: string }> {
    const now = this.clock();
    const cached = this.entries.get(tenantId);
    if (cached && now - cached.loadedAt <= this.ttlMs) return cached;
    const epoch = this.epoch;
    const [budgets, tenant] = await Promise.all([
      listBudgets(this.storage.db, tenantId),
      this.storage.db.selectFrom('tenants').select('time_zone').where('id', '=', tenantId).executeTakeFirst(),
    ]);
    const entry = { budgets, timeZone: tenant?.time_zone ?? 'UTC', loadedAt: now };
    if (epoch === this.epoch) this.entries.set(tenantId, entry);
    return entry;
  }
}
