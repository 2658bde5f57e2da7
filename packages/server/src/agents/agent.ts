import type { AgentFacts } from '@warden/policy';
import type { AgentsTable } from '../storage/schema.js';

export const AGENT_STATUSES = ['pending', 'active', 'suspended', 'retired'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];
export const TRUST_TIERS = ['sandbox', 'monitored', 'trusted'] as const;
export type TrustTier = (typeof TRUST_TIERS)[number];
/** Data classification, least to most sensitive. */
export const RISK_CLASSES = ['public', 'internal', 'pii', 'financial', 'phi'] as const;
export type RiskClass = (typeof RISK_CLASSES)[number];
export const ENVIRONMENTS = ['sandbox', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export interface Agent {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly ownerId: string;
  readonly purpose: string;
  readonly risk: RiskClass;
  readonly environments: readonly Environment[];
  readonly tier: TrustTier;
  readonly roles: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly parentId: string | null;
  readonly maxChildren: number;
  readonly status: AgentStatus;
  readonly recertifyAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly lastActiveAt: number | null;
  /** Called when a post-mode review rejects an action the agent already took. */
  readonly rollbackUrl: string | null;
  /** Set while the circuit breaker is open: the agent's decisions are denied until a human resets it. */
  readonly breaker: { readonly trippedAt: number; readonly reason: string } | null;
}

/** Agents touching personal, financial or health data are medium or high risk: a human activates them. */
export function riskLevel(risk: RiskClass): 'low' | 'medium' | 'high' {
  if (risk === 'pii') return 'medium';
  if (risk === 'financial' || risk === 'phi') return 'high';
  return 'low';
}

export function agentFromRow(row: AgentsTable): Agent {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    ownerId: row.owner_id,
    purpose: row.purpose,
    risk: row.risk as RiskClass,
    environments: JSON.parse(row.environments) as Environment[],
    tier: row.tier as TrustTier,
    roles: JSON.parse(row.roles) as string[],
    labels: JSON.parse(row.labels) as Record<string, string>,
    parentId: row.parent_id,
    maxChildren: row.max_children,
    status: row.status as AgentStatus,
    recertifyAt: row.recertify_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastActiveAt: row.last_active_at,
    rollbackUrl: row.rollback_url,
    breaker:
      row.breaker_tripped_at === null || row.breaker_tripped_at === undefined
        ? null
        : { trippedAt: row.breaker_tripped_at, reason: row.breaker_reason ?? '' },
  };
}

/** The registry fields; `suspended_from` and the breaker belong to the lifecycle and are left alone. */
export function agentToRow(
  agent: Agent,
): Omit<AgentsTable, 'suspended_from' | 'breaker_tripped_at' | 'breaker_reason'> {
  return {
    id: agent.id,
    tenant_id: agent.tenantId,
    name: agent.name,
    owner_id: agent.ownerId,
    purpose: agent.purpose,
    risk: agent.risk,
    environments: JSON.stringify(agent.environments),
    tier: agent.tier,
    roles: JSON.stringify(agent.roles),
    labels: JSON.stringify(agent.labels),
    parent_id: agent.parentId,
    max_children: agent.maxChildren,
    status: agent.status,
    recertify_at: agent.recertifyAt,
    created_at: agent.createdAt,
    updated_at: agent.updatedAt,
    last_active_at: agent.lastActiveAt,
    rollback_url: agent.rollbackUrl,
  };
}

/** What the policy engine sees of an agent acting in `environment`. */
export function agentFacts(agent: Agent, environment: Environment): AgentFacts {
  return {
    id: agent.id,
    name: agent.name,
    roles: agent.roles,
    tier: agent.tier,
    environment,
    labels: agent.labels,
    owner: agent.ownerId,
    risk: agent.risk,
  };
}
