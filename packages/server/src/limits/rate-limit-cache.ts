import type { Signals } from '../signals/signals.js';
import type { Storage } from '../storage/database.js';
import {
  applicableKeys,
  compileRateLimitRules,
  type LimitedAgent,
  NO_RULES,
  type RateLimitRuleSet,
} from './applicable-keys.js';
import { listRules } from './rate-limit-store.js';
import type { RateLimitKey } from './rate-limiter.js';

interface Entry {
  readonly set: RateLimitRuleSet;
  readonly loadedAt: number;
}

const MAX_TENANTS = 10_000;

/**
 * Each tenant's rate-limit rules, as the decide path needs them on every call. A change is signalled
 * (`rate_limits.changed`, on every node) and drops the tenant at once; the TTL only bounds how long a
 * missed signal could go unnoticed.
 */
export class RateLimitCache {
  private readonly entries = new Map<string, Entry>();
  /** A load that started before a change must not put the old rules back. */
  private epoch = 0;

  constructor(
    private readonly storage: Storage,
    signals: Signals,
    private readonly ttlMs: number,
    private readonly clock: () => number,
  ) {
    signals.subscribe((signal) => {
      if (signal.type === 'rate_limits.changed') {
        this.epoch++;
        this.entries.delete(signal.tenantId);
      }
    });
    signals.onReset(() => {
      this.epoch++;
      this.entries.clear();
    });
  }

  async rules(tenantId: string): Promise<RateLimitRuleSet> {
    const now = this.clock();
    const cached = this.entries.get(tenantId);
    if (cached && now - cached.loadedAt <= this.ttlMs) return cached.set;
    const epoch = this.epoch;
    const rules = await listRules(this.storage.db, tenantId);
    const set = rules.length === 0 ? NO_RULES : compileRateLimitRules(rules);
    if (epoch === this.epoch) {
      if (this.entries.size >= MAX_TENANTS) this.entries.clear();
      this.entries.set(tenantId, { set, loadedAt: now });
    }
    return set;
  }

  /** The counters a call of `agent` to `tool` (in task `taskId`, if any) is charged to. */
  async keys(agent: LimitedAgent, taskId: string | null, tool: string): Promise<RateLimitKey[]> {
    return applicableKeys(await this.rules(agent.tenantId), agent, taskId, tool);
  }
}
