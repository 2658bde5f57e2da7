import type { RiskClass } from '../agents/agent.js';
import type { RecertCampaignsTable, RecertItemsTable } from '../storage/schema.js';

/** What the deadline's grace does to an agent nobody certified. */
export const NO_RESPONSE_ACTIONS = ['suspend', 'flag'] as const;
export type NoResponseAction = (typeof NO_RESPONSE_ACTIONS)[number];

export const CERTIFY_DECISIONS = ['keep', 'reduce', 'retire'] as const;
export type CertifyDecision = (typeof CERTIFY_DECISIONS)[number];

/**
 * open: owners certify; escalated: the deadline passed with agents unanswered, security was told and
 * may still certify them; closed: the grace ended and the rest were suspended or flagged;
 * completed: every agent was answered.
 */
export type CampaignStatus = 'open' | 'escalated' | 'closed' | 'completed';

/** pending and escalated wait for an answer; the others are final. */
export type ItemStatus = 'pending' | 'escalated' | 'kept' | 'reduced' | 'retired' | 'suspended' | 'flagged';
export const WAITING: readonly ItemStatus[] = ['pending', 'escalated'];

export const ANSWERED: Record<CertifyDecision, ItemStatus> = {
  keep: 'kept',
  reduce: 'reduced',
  retire: 'retired',
};

/** Which agents a campaign covers; nothing given is every agent not retired. Both given: both hold. */
export interface CampaignScope {
  readonly risk?: RiskClass;
  readonly ownerId?: string;
}

export interface Campaign {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly status: CampaignStatus;
  readonly scope: CampaignScope;
  readonly deadlineAt: number;
  readonly graceMs: number;
  readonly onNoResponse: NoResponseAction;
  readonly driftDays: number;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly escalatedAt: number | null;
  readonly closedAt: number | null;
}

/** The drift figures an owner saw for the agent when the campaign started. */
export interface DriftSnapshot {
  readonly rules: number;
  readonly grants: number;
  readonly unusedRules: readonly string[];
  readonly partlyUsedRules: readonly string[];
  readonly unusedGrants: readonly string[];
  readonly toolsAllowed: number;
  readonly toolsUsed: number;
}

export interface Reduction {
  /** Rules to stop granting the agent, with the policy change that does it (a change for the policy's owner). */
  readonly rules: readonly {
    readonly id: string;
    readonly policy: string;
    readonly file: string;
    readonly line: number;
    readonly policyOwner: string;
    readonly change: string;
  }[];
  /** Temporary grants revoked by the certification itself. */
  readonly revokedGrants: readonly string[];
}

export interface CampaignItem {
  readonly campaignId: string;
  readonly agentId: string;
  readonly ownerId: string;
  readonly status: ItemStatus;
  readonly drift: DriftSnapshot;
  readonly decision: CertifyDecision | null;
  readonly comment: string | null;
  readonly reduction: Reduction | null;
  readonly certifiedBy: string | null;
  readonly certifiedAt: number | null;
  readonly escalatedAt: number | null;
  readonly resolvedAt: number | null;
}

export function campaignFromRow(row: RecertCampaignsTable): Campaign {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    status: row.status as CampaignStatus,
    scope: JSON.parse(row.scope) as CampaignScope,
    deadlineAt: Number(row.deadline_at),
    graceMs: Number(row.grace_ms),
    onNoResponse: row.on_no_response as NoResponseAction,
    driftDays: row.drift_days,
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    escalatedAt: row.escalated_at === null ? null : Number(row.escalated_at),
    closedAt: row.closed_at === null ? null : Number(row.closed_at),
  };
}

export function itemFromRow(row: RecertItemsTable): CampaignItem {
  return {
    campaignId: row.campaign_id,
    agentId: row.agent_id,
    ownerId: row.owner_id,
    status: row.status as ItemStatus,
    drift: JSON.parse(row.drift) as DriftSnapshot,
    decision: row.decision as CertifyDecision | null,
    comment: row.comment,
    reduction: row.reduction === null ? null : (JSON.parse(row.reduction) as Reduction),
    certifiedBy: row.certified_by,
    certifiedAt: row.certified_at === null ? null : Number(row.certified_at),
    escalatedAt: row.escalated_at === null ? null : Number(row.escalated_at),
    resolvedAt: row.resolved_at === null ? null : Number(row.resolved_at),
  };
}

/** How far a campaign got: items by status. */
export function progressOf(items: readonly CampaignItem[]): Record<ItemStatus, number> & { total: number } {
  const counts = {
    pending: 0,
    escalated: 0,
    kept: 0,
    reduced: 0,
    retired: 0,
    suspended: 0,
    flagged: 0,
    total: 0,
  };
  for (const item of items) {
    counts[item.status]++;
    counts.total++;
  }
  return counts;
}
