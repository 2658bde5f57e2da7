import { createVisibilityIndex, type GrantingRule, grantingRules } from '@warden/policy';
import { type Agent, agentFacts, agentFromRow, type RiskClass } from '../agents/agent.js';
import type { GatewayTool } from '../mcp/upstream-pool.js';
import type { PolicyRegistry } from '../policies/policy-registry.js';
import type { Storage } from '../storage/database.js';
import { type AgentDrift, agentDrift } from './agent-drift.js';
import { ruleToolUses, type UsageGroup, type UsageWindow, usageGroups } from './drift-usage.js';

export const DEFAULT_DRIFT_DAYS = 30;
export const MAX_DRIFT_DAYS = 365;
const DAY_MS = 86_400_000;

/** Which agents a report covers; none given: every agent of the tenant not retired. */
export interface DriftScope {
  readonly agentId?: string;
  readonly ownerId?: string;
  readonly risk?: RiskClass;
}

export interface DriftReport {
  readonly window: { readonly from: number; readonly to: number; readonly days: number };
  /** The active bundle the permissions were read from; null when the tenant has none (rules grant nothing). */
  readonly policyVersion: string | null;
  /** MCP servers whose tools could not be listed: their tools count only where an agent called them. */
  readonly unavailableServers: readonly { readonly server: string; readonly reason: string }[];
  readonly summary: {
    readonly agents: number;
    readonly agentsWithCandidates: number;
    readonly candidates: number;
  };
  readonly agents: readonly AgentDrift[];
}

export interface DriftDeps {
  readonly storage: Storage;
  readonly registry: PolicyRegistry;
  /** The tenant's MCP servers' tools (the gateway's pool); a failing server is reported, not fatal. */
  readonly mcpTools: (tenantId: string) => Promise<{
    tools: readonly GatewayTool[];
    unavailable: readonly { server: string; reason: string }[];
  }>;
  readonly clock: () => number;
}

/**
 * Permission drift: per agent, what its policies and temporary grants open to it against what it
 * called in the last `days` days. The decisions are aggregated by the database (one grouped scan of
 * the window); what each rule opens is read from the active bundle by `@warden/policy`'s static
 * visibility, over the tools Warden knows (MCP servers, the bundle's tool catalogs, calls made).
 */
export class DriftService {
  constructor(private readonly deps: DriftDeps) {}

  async report(tenantId: string, scope: DriftScope, days: number = DEFAULT_DRIFT_DAYS): Promise<DriftReport> {
    const { storage, registry, clock } = this.deps;
    const to = clock();
    const window: UsageWindow & { days: number } = { tenantId, from: to - days * DAY_MS, to: to + 1, days };
    const everyAgent = scope.agentId === undefined && scope.ownerId === undefined && scope.risk === undefined;
    const agents = await this.agents(tenantId, scope);
    const ids = agents.map((a) => a.id);
    const bundle = registry.get(tenantId);
    const [groups, grants, listing] = await Promise.all([
      usageGroups(storage.db, window, everyAgent ? undefined : ids),
      this.grants(tenantId, everyAgent ? undefined : ids, to),
      agents.length > 0 ? this.deps.mcpTools(tenantId) : Promise.resolve({ tools: [], unavailable: [] }),
    ]);
    const knownTools = [
      ...new Set([
        ...listing.tools.map((t) => t.name),
        ...(bundle?.catalogs.flatMap((c) => c.tools.map((t) => t.name)) ?? []),
      ]),
    ];

    const rulesOf = new Map(
      agents.map((agent) => [agent.id, bundle ? grantingRules(bundle, subjectOf(agent, [])) : []]),
    );
    const groupsOf = groupBy(groups, (g) => g.agentId);
    const grantsOf = groupBy(grants, (g) => g.agentId);
    const driftsWith = (ruleUses: ReadonlyMap<string, ReadonlyMap<string, number>>) =>
      agents.map((agent) => {
        const own = grantsOf.get(agent.id) ?? [];
        return agentDrift({
          agent,
          window: { from: window.from, to, days },
          visibility: bundle ? createVisibilityIndex(bundle, subjectOf(agent, own)) : undefined,
          rules: rulesOf.get(agent.id) as GrantingRule[],
          grants: own,
          knownTools,
          usage: groupsOf.get(agent.id) ?? [],
          ruleUses,
        });
      });
    // How the tenant used each rule decides a suggestion (remove, narrow, or unselect the agent).
    // The groups of a report over every agent hold it; a narrower report asks the database, for the
    // rules that are candidates only (a second pass, the first one finding which they are).
    let drifts = driftsWith(everyAgent ? ruleUsesFrom(groups) : new Map());
    if (!everyAgent) {
      const candidateRules = [
        ...new Set(drifts.flatMap((d) => d.candidates.filter((c) => c.kind === 'rule').map((c) => c.id))),
      ];
      if (candidateRules.length > 0) {
        drifts = driftsWith(ruleUsesMap(await ruleToolUses(storage.db, window, candidateRules)));
      }
    }
    const withCandidates = drifts.filter((d) => d.candidates.length > 0);
    return {
      window: { from: window.from, to, days },
      policyVersion: bundle?.version ?? null,
      unavailableServers: listing.unavailable,
      summary: {
        agents: drifts.length,
        agentsWithCandidates: withCandidates.length,
        candidates: withCandidates.reduce((sum, d) => sum + d.candidates.length, 0),
      },
      agents: drifts,
    };
  }

  private async agents(tenantId: string, scope: DriftScope): Promise<Agent[]> {
    let query = this.deps.storage.db
      .selectFrom('agents')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('status', '!=', 'retired');
    if (scope.agentId !== undefined) query = query.where('id', '=', scope.agentId);
    if (scope.ownerId !== undefined) query = query.where('owner_id', '=', scope.ownerId);
    if (scope.risk !== undefined) query = query.where('risk', '=', scope.risk);
    return (await query.orderBy('id').execute()).map(agentFromRow);
  }

  /** The agents' temporary grants still in force. */
  private async grants(
    tenantId: string,
    agentIds: readonly string[] | undefined,
    now: number,
  ): Promise<{ id: string; agentId: string; tools: string[]; expiresAt: number }[]> {
    if (agentIds?.length === 0) return [];
    let query = this.deps.storage.db
      .selectFrom('access_grants')
      .select(['id', 'agent_id', 'tools', 'expires_at'])
      .where('tenant_id', '=', tenantId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now);
    if (agentIds) query = query.where('agent_id', 'in', [...agentIds]);
    const rows = await query.orderBy('id').execute();
    return rows.map((r) => ({
      id: r.id,
      agentId: r.agent_id,
      tools: JSON.parse(r.tools) as string[],
      expiresAt: r.expires_at,
    }));
  }
}

/** What the visibility analysis needs of an agent: its facts, where it acts, its grants. */
function subjectOf(agent: Agent, grants: readonly { id: string; tools: readonly string[] }[]) {
  const facts = agentFacts(agent, agent.environments[0] ?? 'production');
  return {
    agent:
      grants.length > 0 ? { ...facts, grants: grants.map((g) => ({ id: g.id, tools: g.tools })) } : facts,
    environments: agent.environments,
  };
}

/** The tenant's use of each rule by tool, from groups that cover every agent. */
function ruleUsesFrom(groups: readonly UsageGroup[]): Map<string, Map<string, number>> {
  const agentsOf = new Map<string, Map<string, Set<string>>>();
  for (const group of groups) {
    if (group.code !== 'rule' || group.decidedBy === null) continue;
    if (group.effect !== 'allow' && group.effect !== 'review') continue;
    const byTool = agentsOf.get(group.decidedBy) ?? new Map<string, Set<string>>();
    agentsOf.set(group.decidedBy, byTool);
    const agents = byTool.get(group.tool) ?? new Set<string>();
    byTool.set(group.tool, agents);
    agents.add(group.agentId);
  }
  return new Map(
    [...agentsOf].map(([rule, byTool]) => [
      rule,
      new Map([...byTool].map(([tool, set]) => [tool, set.size])),
    ]),
  );
}

function ruleUsesMap(
  uses: readonly { rule: string; tool: string; agents: number }[],
): Map<string, Map<string, number>> {
  const map = new Map<string, Map<string, number>>();
  for (const use of uses) {
    const byTool = map.get(use.rule) ?? new Map<string, number>();
    map.set(use.rule, byTool);
    byTool.set(use.tool, use.agents);
  }
  return map;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const list = map.get(key(item));
    if (list) list.push(item);
    else map.set(key(item), [item]);
  }
  return map;
}
