import { compileGlob } from '@warden/policy';
import type { TrustTier } from '../agents/agent.js';
import type { RateLimitRule, RateLimitScope } from './rate-limit-rules.js';
import type { RateLimitKey } from './rate-limiter.js';

/**
 * The rules sharing a scope and tool glob. Within a group the most specific selector wins: a rule for
 * this agent replaces tier and every-agent rules (a per-agent override, which may be looser), and a
 * tier rule replaces every-agent rules. Rules of equal specificity all apply.
 */
interface RuleGroup {
  readonly scope: RateLimitScope;
  readonly matches: ((tool: string) => boolean) | null;
  readonly byAgent: ReadonlyMap<string, readonly RateLimitRule[]>;
  readonly byTier: ReadonlyMap<TrustTier, readonly RateLimitRule[]>;
  readonly everyAgent: readonly RateLimitRule[];
}

/** A tenant's rules, grouped once so each call is a few map lookups. */
export interface RateLimitRuleSet {
  readonly rules: readonly RateLimitRule[];
  readonly groups: readonly RuleGroup[];
}

export interface LimitedAgent {
  readonly id: string;
  readonly tenantId: string;
  readonly tier: TrustTier;
}

export function compileRateLimitRules(rules: readonly RateLimitRule[]): RateLimitRuleSet {
  const groups = new Map<
    string,
    {
      scope: RateLimitScope;
      tool: string | null;
      byAgent: Map<string, RateLimitRule[]>;
      byTier: Map<TrustTier, RateLimitRule[]>;
      everyAgent: RateLimitRule[];
    }
  >();
  for (const rule of rules) {
    const id = `${rule.scope}\u0000${rule.tool ?? ''}`;
    let group = groups.get(id);
    if (!group) {
      group = { scope: rule.scope, tool: rule.tool, byAgent: new Map(), byTier: new Map(), everyAgent: [] };
      groups.set(id, group);
    }
    if (rule.agentId !== null) push(group.byAgent, rule.agentId, rule);
    else if (rule.tier !== null) push(group.byTier, rule.tier, rule);
    else group.everyAgent.push(rule);
  }
  return {
    rules,
    groups: [...groups.values()].map((group) => ({
      scope: group.scope,
      matches: group.tool === null ? null : compileGlob(group.tool),
      byAgent: group.byAgent,
      byTier: group.byTier,
      everyAgent: group.everyAgent,
    })),
  };
}

export const NO_RULES: RateLimitRuleSet = compileRateLimitRules([]);

/**
 * The counters one call is charged to. Keys start with the tenant as a Redis hash tag, so every key of
 * a call lands in one cluster slot and the check stays one atomic script. A task rule needs a task:
 * a call without one is not counted by it.
 */
export function applicableKeys(
  set: RateLimitRuleSet,
  agent: LimitedAgent,
  taskId: string | null,
  tool: string,
): RateLimitKey[] {
  const keys: RateLimitKey[] = [];
  for (const group of set.groups) {
    if (group.scope === 'task' && taskId === null) continue;
    if (group.matches && !group.matches(tool)) continue;
    const rules = group.byAgent.get(agent.id) ?? group.byTier.get(agent.tier) ?? group.everyAgent;
    for (const rule of rules) {
      const prefix = `{${agent.tenantId}}:${rule.id}`;
      const key =
        group.scope === 'agent'
          ? `${prefix}:agent:${agent.id}`
          : group.scope === 'task'
            ? `${prefix}:task:${taskId}`
            : `${prefix}:tool:${agent.id}:${tool}`;
      keys.push({ key, ruleId: rule.id, limit: rule.maxCalls, windowMs: rule.windowSeconds * 1000 });
    }
  }
  return keys;
}

function push<K>(map: Map<K, RateLimitRule[]>, key: K, rule: RateLimitRule): void {
  const list = map.get(key);
  if (list) list.push(rule);
  else map.set(key, [rule]);
}
