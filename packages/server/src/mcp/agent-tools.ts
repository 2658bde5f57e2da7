import { createVisibilityIndex } from '@warden/policy';
import type { GrantCache } from '../access/grant-cache.js';
import { agentFacts } from '../agents/agent.js';
import type { AgentCache } from '../agents/agent-cache.js';
import type { AgentPrincipal } from '../credentials/principal.js';
import { WardenError } from '../errors.js';
import type { PolicyRegistry } from '../policies/policy-registry.js';
import type { GatewayTool, UpstreamPool } from './upstream-pool.js';

export interface AgentToolsDeps {
  readonly pool: UpstreamPool;
  readonly registry: PolicyRegistry;
  readonly agents: AgentCache;
  readonly grants: GrantCache;
  readonly log: { warn(details: Record<string, unknown>, message: string): void };
  readonly clock: () => number;
}

/**
 * What `tools/list` shows an agent: of its tenant's upstream tools, those it could ever be allowed
 * or reviewed for under the active bundle, guardrails included, and its temporary grants
 * (`createVisibilityIndex`, which never hides a tool `decide` could allow). A tool it cannot see it
 * may still call by name: the call is decided, denied and audited like any other.
 */
export class AgentTools {
  constructor(private readonly deps: AgentToolsDeps) {}

  async list(principal: AgentPrincipal, server?: string): Promise<GatewayTool[]> {
    const { deps } = this;
    const now = deps.clock();
    const [agent, listing, grants] = await Promise.all([
      deps.agents.get(principal.tenantId, principal.agentId),
      deps.pool.tools(principal.tenantId, server),
      deps.grants.active(principal.tenantId, principal.agentId, now),
    ]);
    if (!agent) throw new WardenError('unauthenticated', 'the agent key is unknown or revoked');
    for (const { server: name, reason } of listing.unavailable) {
      deps.log.warn({ server: name, reason }, 'upstream tools left out of tools/list');
    }
    const bundle = deps.registry.get(principal.tenantId);
    // No active bundle: every call is denied (no_policy), so nothing is shown.
    if (!bundle || agent.status !== 'active') return [];
    const facts = agentFacts(agent, agent.environments[0] ?? 'production');
    const index = createVisibilityIndex(bundle, {
      agent:
        grants.length > 0 ? { ...facts, grants: grants.map((g) => ({ id: g.id, tools: g.tools })) } : facts,
      environments: agent.environments,
    });
    const visible = new Set(index.visibleTools(listing.tools.map((t) => t.name)));
    return listing.tools.filter((t) => visible.has(t.name));
  }
}
