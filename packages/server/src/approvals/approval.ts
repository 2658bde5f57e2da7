import type { Approver, JsonObject } from '@warden/policy';
import type {
  ApprovalKind,
  ApprovalMode,
  ApprovalRequestsTable,
  ApprovalStatus,
  ApprovalVotesTable,
} from '../storage/schema.js';

export type { ApprovalKind, ApprovalMode, ApprovalStatus };

/** One stage of a request: a step of the rule, or an escalation target after a deadline. */
export interface Stage {
  readonly name: string;
  readonly approvers: readonly Approver[];
  /** How many distinct humans must approve this stage. */
  readonly required: number;
}

/** What a request needs, as stored: the rule's steps, its deadline and what happens on timeout. */
export interface Requirement {
  readonly steps: readonly Stage[];
  readonly timeoutSeconds: number;
  readonly onTimeout: 'deny' | 'escalate';
  readonly escalateTo: readonly Approver[];
}

/** Why a human may not decide a request (separation of duties). */
export interface Exclusion {
  readonly humanId: string;
  readonly why: 'policy_owner' | 'on_behalf_of' | 'requester';
}

export interface Vote {
  readonly humanId: string;
  readonly stage: number;
  readonly verdict: 'approve' | 'deny';
  readonly comment: string | null;
  readonly at: number;
}

export interface ApprovalRequest {
  readonly id: string;
  readonly tenantId: string;
  readonly kind: ApprovalKind;
  readonly mode: ApprovalMode;
  readonly status: ApprovalStatus;
  readonly agentId: string;
  readonly decisionId: string | null;
  readonly taskId: string | null;
  readonly tool: string | null;
  readonly actionDigest: string | null;
  readonly requester: { readonly type: 'agent' | 'human'; readonly id: string };
  readonly initiatorId: string | null;
  readonly onBehalfOfId: string | null;
  readonly context: JsonObject;
  readonly requirement: Requirement;
  readonly excluded: readonly Exclusion[];
  /** Index into stagesOf(requirement). */
  readonly stage: number;
  readonly escalation: number;
  readonly deadlineAt: number;
  readonly onCallUntil: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly decidedAt: number | null;
  readonly decidedBy: string | null;
  readonly comment: string | null;
  readonly grantExpiresAt: number | null;
  readonly consumedAt: number | null;
  readonly consumedBy: string | null;
  readonly version: number;
}

/** The steps, then one single-approver stage per escalation target. */
export function stagesOf(requirement: Requirement): Stage[] {
  return [
    ...requirement.steps,
    ...requirement.escalateTo.map((approver, i) => ({
      name: `escalation-${i + 1}`,
      approvers: [approver],
      required: 1,
    })),
  ];
}

/** An escalation stage decides the whole request: it replaces the steps that ran out of time. */
export function isEscalationStage(requirement: Requirement, stage: number): boolean {
  return stage >= requirement.steps.length;
}

export function isFinal(status: ApprovalStatus): boolean {
  return status !== 'pending';
}

export function approvalFromRow(row: ApprovalRequestsTable): ApprovalRequest {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    kind: row.kind,
    mode: row.mode,
    status: row.status,
    agentId: row.agent_id,
    decisionId: row.decision_id,
    taskId: row.task_id,
    tool: row.tool,
    actionDigest: row.action_digest,
    requester: { type: row.requester_type, id: row.requester_id },
    initiatorId: row.initiator_id,
    onBehalfOfId: row.on_behalf_of_id,
    context: JSON.parse(row.context) as JsonObject,
    requirement: JSON.parse(row.requirement) as Requirement,
    excluded: JSON.parse(row.excluded) as Exclusion[],
    stage: row.step,
    escalation: row.escalation,
    deadlineAt: row.deadline_at,
    onCallUntil: row.oncall_until,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    decidedAt: row.decided_at,
    decidedBy: row.decided_by,
    comment: row.comment,
    grantExpiresAt: row.grant_expires_at,
    consumedAt: row.consumed_at,
    consumedBy: row.consumed_by,
    version: row.version,
  };
}

export function approvalToRow(request: ApprovalRequest): ApprovalRequestsTable {
  return {
    tenant_id: request.tenantId,
    id: request.id,
    kind: request.kind,
    mode: request.mode,
    status: request.status,
    agent_id: request.agentId,
    decision_id: request.decisionId,
    task_id: request.taskId,
    tool: request.tool,
    action_digest: request.actionDigest,
    requester_type: request.requester.type,
    requester_id: request.requester.id,
    initiator_id: request.initiatorId,
    on_behalf_of_id: request.onBehalfOfId,
    context: JSON.stringify(request.context),
    requirement: JSON.stringify(request.requirement),
    excluded: JSON.stringify(request.excluded),
    step: request.stage,
    escalation: request.escalation,
    deadline_at: request.deadlineAt,
    oncall_until: request.onCallUntil,
    created_at: request.createdAt,
    updated_at: request.updatedAt,
    decided_at: request.decidedAt,
    decided_by: request.decidedBy,
    comment: request.comment,
    grant_expires_at: request.grantExpiresAt,
    consumed_at: request.consumedAt,
    consumed_by: request.consumedBy,
    version: request.version,
  };
}

export function voteFromRow(row: ApprovalVotesTable): Vote {
  return {
    humanId: row.human_id,
    stage: row.step,
    verdict: row.verdict,
    comment: row.comment,
    at: row.created_at,
  };
}
