import { createVisibilityIndex, type VisibilityIndex } from '@warden/policy';
import type { GrantCache } from '../access/grant-cache.js';
import { agentFacts } from '../agents/agent.js';
import type { AgentCache } from '../agents/agent-cache.js';
import type { AgentPrincipal } from '../credentials/principal.js';
import { WardenError } from '../errors.js';
import type { PolicyRegistry } from '../policies/policy-registry.js';
import type { Upstream } from './upstream.js';
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
    const [index, listing] = await Promise.all([
      this.visibility(principal),
      this.deps.pool.tools(principal.tenantId, server),
    ]);
    for (const { server: name, reason } of listing.unavailable) {
      this.deps.log.warn({ server: name, reason }, 'upstream tools left out of tools/list');
    }
    if (!index) return [];
    const visible = new Set(index.visibleTools(listing.tools.map((t) => t.name)));
    return listing.tools.filter((t) => visible.has(t.name));
  }

  /**
   * The upstreams (of the endpoint's scope) whose resources, or prompts, this agent may read: those
   * for which `<server>.resources.read` (or `<server>.prompts.get`) is visible, as for a tool.
   */
  async readable(
    principal: AgentPrincipal,
    kind: 'resources.read' | 'prompts.get',
    server?: string,
  ): Promise<Upstream[]> {
    const index = await this.visibility(principal);
    if (!index) return [];
    const upstreams = server
      ? [this.deps.pool.get(principal.tenantId, server)].filter((u) => u !== undefined)
      : [...this.deps.pool.servers(principal.tenantId)];
    return upstreams.filter((u) => index.visibility(`${u.name}.${kind}`).visible);
  }

  /**
   * What this agent could ever be granted, now; none for an inactive agent or a tenant with no
   * bundle. The LLM proxy's model list reads it too.
   */
  async visibility(principal: AgentPrincipal): Promise<VisibilityIndex | undefined> {
    const { deps } = this;
    const [agent, grants] = await Promise.all([
      deps.agents.get(principal.tenantId, principal.agentId),
      deps.grants.active(principal.tenantId, principal.agentId, deps.clock()),
    ]);
    if (!agent) throw new WardenError('unauthenticated', 'the agent key is unknown or revoked');
    const bundle = deps.registry.get(principal.tenantId);
    // No active bundle: every call is denied (no_policy), so nothing is shown.
    if (!bundle || agent.status !== 'active') return undefined;
    const facts = agentFacts(agent, agent.environments[0] ?? 'production');
    return createVisibilityIndex(bundle, {
      agent:
        grants.length > 0 ? { ...facts, grants: grants.map((g) => ({ id: g.id, tools: g.tools })) } : facts,
      environments: agent.environments,
    });
  }
}
