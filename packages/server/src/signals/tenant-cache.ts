import type { Signal, Signals } from './signals.js';

interface Entry<V> {
  readonly value: V;
  readonly loadedAt: number;
}

const MAX_TENANTS = 10_000;

/**
 * A per-tenant value the decide path reads on every call (budgets, rate-limit rules, the freeze):
 * loaded once, dropped on every node the moment a signal of `signalType` names the tenant, and
 * reloaded after `ttlMs` at the latest, which only bounds how long a missed signal could go unseen.
 */
export class TenantCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  /** A load that started before a change must not put the old value back. */
  private epoch = 0;

  constructor(
    signals: Signals,
    signalType: Extract<Signal, { tenantId: string }>['type'],
    private readonly load: (tenantId: string) => Promise<V>,
    private readonly ttlMs: number,
    private readonly clock: () => number,
  ) {
    signals.subscribe((signal) => {
      if (signal.type === signalType) {
        this.epoch++;
        this.entries.delete(signal.tenantId);
      }
    });
    signals.onReset(() => {
      this.epoch++;
      this.entries.clear();
    });
  }

  /**
   * The tenant's value, loaded when missing or stale: by `load` when given (e.g. through the
   * caller's transaction, which on SQLite holds the only connection), else by the cache's loader.
   */
  async get(tenantId: string, load: (tenantId: string) => Promise<V> = this.load): Promise<V> {
    const now = this.clock();
    const cached = this.entries.get(tenantId);
    if (cached && now - cached.loadedAt <= this.ttlMs) return cached.value;
    const epoch = this.epoch;
    const value = await load(tenantId);
    if (epoch === this.epoch) {
      if (this.entries.size >= MAX_TENANTS) this.entries.clear();
      this.entries.set(tenantId, { value, loadedAt: now });
    }
    return value;
  }
}
