import type { Signals } from '../signals/signals.js';
import { TenantCache } from '../signals/tenant-cache.js';
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

/**
 * Each tenant's rate-limit rules, compiled, as the decide path needs them on every call; a change
 * (`rate_limits.changed`, on every node) drops the tenant at once.
 */
export class RateLimitCache {
  private readonly cache: TenantCache<RateLimitRuleSet>;

  constructor(storage: Storage, signals: Signals, ttlMs: number, clock: () => number) {
    this.cache = new TenantCache(
      signals,
      'rate_limits.changed',
      async (tenantId) => {
        const rules = await listRules(storage.db, tenantId);
        return rules.length === 0 ? NO_RULES : compileRateLimitRules(rules);
      },
      ttlMs,
      clock,
    );
  }

  rules(tenantId: string): Promise<RateLimitRuleSet> {
    return this.cache.get(tenantId);
  }

  /** The counters a call of `agent` to `tool` (in task `taskId`, if any) is charged to. */
  async keys(agent: LimitedAgent, taskId: string | null, tool: string): Promise<RateLimitKey[]> {
    return applicableKeys(await this.rules(agent.tenantId), agent, taskId, tool);
  }
}
