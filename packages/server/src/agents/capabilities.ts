import {
  type AgentFacts,
  type CompiledRule,
  createVisibilityIndex,
  type Effect,
  type PolicyBundle,
} from '@warden/policy';
import type { ActiveGrant, GrantCache } from '../access/grant-cache.js';
import { notFound } from '../errors.js';
import type { UpstreamPool } from '../mcp/upstream-pool.js';
import type { PolicyRegistry } from '../policies/policy-registry.js';
import type { Storage } from '../storage/database.js';
import { type Agent, agentFacts } from './agent.js';
import { findAgent } from './agent-store.js';

/** A rule that applies to the agent for a tool, with who answers for it. */
export interface CapabilityRule {
  readonly policy: string;
  readonly kind: 'Policy' | 'Guardrail';
  readonly rule: string;
  readonly effect: Effect;
  /** The policy's owner: the human accountable for the rule. */
  readonly owner: string;
  readonly description: string;
  /** The rule's CEL condition; null when it always applies. */
  readonly when: string | null;
}

export interface ToolCapability {
  readonly tool: string;
  /**
   * What a call gets when every condition goes the caller's way but unconditional rules still bind:
   * `allow`, `review` (a human decides first) or `deny` (no call can be allowed or reviewed).
   */
  readonly effect: Effect;
  /** Some rule's condition (on arguments, context, usage, time) can change the answer per call. */
  readonly conditional: boolean;
  readonly rules: readonly CapabilityRule[];
  /** `grant`: only a temporary grant opens it; `policy`: the rules decide (or nothing grants it). */
  readonly via: 'policy' | 'grant';
  /** The temporary grants that cover the tool. */
  readonly grantIds: readonly string[];
}

export interface AgentCapabilitiesView {
  readonly agent: Agent;
  readonly policyVersion: string | null;
  readonly tools: readonly ToolCapability[];
  readonly grants: readonly ActiveGrant[];
  /** MCP servers whose tool list could not be read now; their tools named by no rule are missing. */
  readonly unavailableServers: readonly { readonly server: string; readonly reason: string }[];
}

export interface CapabilitiesDeps {
  readonly storage: Storage;
  readonly registry: PolicyRegistry;
  readonly pool: UpstreamPool;
  readonly grants: GrantCache;
  readonly clock: () => number;
  /** How long to wait for the MCP servers' tool lists (cached after the first listing). */
  readonly listTimeoutMs?: number;
}

const EFFECT_RANK: Readonly<Record<Effect, number>> = { allow: 0, review: 1, deny: 2 };

/**
 * "What can this agent do?": every tool Warden knows of for the tenant (its MCP servers' tools, the
 * tool catalogs and the tools rules and grants name exactly), each with the answer the active
 * policies and the agent's temporary grants give, and the rules behind it. Built on the policy
 * package's static visibility, which mirrors `decide`: a tool shown as `deny` is denied for every
 * call this agent could make; one shown as `allow` or `review` may still be denied for some calls
 * when it is `conditional`. Anything not listed is denied by default.
 */
export class AgentCapabilities {
  constructor(private readonly deps: CapabilitiesDeps) {}

  async of(tenantId: string, agentId: string): Promise<AgentCapabilitiesView> {
    const { deps } = this;
    const agent = await findAgent(deps.storage.db, tenantId, agentId);
    if (!agent) throw notFound('agent', agentId);
    const [grants, listing] = await Promise.all([
      deps.grants.active(tenantId, agentId, deps.clock()),
      this.upstreamTools(tenantId),
    ]);
    const bundle = deps.registry.get(tenantId);
    const base = { agent, grants, unavailableServers: listing.unavailable };
    // No active bundle: every call is denied as no_policy, whatever the grants say.
    if (!bundle) return { ...base, policyVersion: null, tools: [] };
    const tools = knownTools(bundle, listing.tools, grants);
    return { ...base, policyVersion: bundle.version, tools: capabilities(bundle, agent, grants, tools) };
  }

  private async upstreamTools(tenantId: string): Promise<{
    tools: readonly string[];
    unavailable: readonly { server: string; reason: string }[];
  }> {
    const servers = this.deps.pool.servers(tenantId);
    if (servers.length === 0) return { tools: [], unavailable: [] };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.deps.listTimeoutMs ?? 2_000);
    });
    try {
      const listing = await Promise.race([this.deps.pool.tools(tenantId), timeout]);
      if (listing === 'timeout') {
        return {
          tools: [],
          unavailable: servers.map((s) => ({ server: s.name, reason: 'did not list its tools in time' })),
        };
      }
      return { tools: listing.tools.map((t) => t.name), unavailable: listing.unavailable };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The tools worth answering for: listed by an upstream or a catalog, or named exactly by a rule or grant. */
function knownTools(
  bundle: PolicyBundle,
  upstream: readonly string[],
  grants: readonly ActiveGrant[],
): string[] {
  const names = new Set(upstream);
  for (const catalog of bundle.catalogs) for (const tool of catalog.tools) names.add(tool.name);
  const exact = (pattern: string) => !pattern.includes('*') && !pattern.includes('?');
  for (const compiled of bundle.rules)
    for (const tool of compiled.rule.tools) if (exact(tool)) names.add(tool);
  for (const grant of grants) for (const tool of grant.tools) if (exact(tool)) names.add(tool);
  return [...names].sort();
}

/** Each tool's answer for the agent in any environment it is registered for. */
export function capabilities(
  bundle: PolicyBundle,
  agent: Agent,
  grants: readonly ActiveGrant[],
  tools: readonly string[],
): ToolCapability[] {
  const temporary = grants.map((g) => ({ id: g.id, tools: g.tools }));
  const cases: AgentFacts[] = (
    agent.environments.length > 0 ? agent.environments : ['production' as const]
  ).map((environment) => ({ ...agentFacts(agent, environment), grants: temporary }));
  const first = cases[0] as AgentFacts;
  // An inactive agent's calls are all denied before any policy is read; show what would apply to it.
  const index = createVisibilityIndex(bundle, {
    agent: first,
    environments: agent.environments,
  });
  return tools.map((tool) => {
    const visibility = index.visibility(tool);
    const applying: CompiledRule[] = [];
    for (const group of bundle.candidates(tool)) {
      if (cases.some((facts) => group.selects(facts))) applying.push(...group.rules);
    }
    const rules = applying.map(ruleJson);
    if (!visibility.visible) {
      return { tool, effect: 'deny', conditional: false, rules, via: 'policy', grantIds: [] };
    }
    const grantIds = visibility.grantingGrants;
    const byRule = visibility.grantingRules.length > 0;
    const unconditional = applying.filter((c) => c.condition === undefined);
    const grantsAlways =
      unconditional.some((c) => c.policy.kind === 'Policy' && c.rule.effect !== 'deny') ||
      (!byRule && grantIds.length > 0);
    let effect: Effect;
    if (grantsAlways) {
      // The strictest rule that always applies; a temporary grant counts as an allow.
      effect = unconditional.reduce<Effect>(
        (worst, c) => (EFFECT_RANK[c.rule.effect] > EFFECT_RANK[worst] ? c.rule.effect : worst),
        'allow',
      );
    } else {
      // Only conditional rules grant it: the best they can give.
      effect = applying.some((c) => c.policy.kind === 'Policy' && c.rule.effect === 'allow')
        ? 'allow'
        : 'review';
    }
    return {
      tool,
      effect,
      conditional: applying.some((c) => c.condition !== undefined),
      rules,
      via: byRule ? 'policy' : 'grant',
      grantIds,
    };
  });
}

function ruleJson(compiled: CompiledRule): CapabilityRule {
  return {
    policy: compiled.policy.metadata.name,
    kind: compiled.policy.kind,
    rule: compiled.rule.id,
    effect: compiled.rule.effect,
    owner: compiled.policy.metadata.owner,
    description: compiled.reason,
    when: compiled.rule.when ?? null,
  };
}
