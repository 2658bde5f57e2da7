import { approverLabel } from '@warden/policy';
import type { HumanPrincipal } from '../credentials/principal.js';
import { toIso } from '../http/schemas.js';
import { type ApprovalRequest, stagesOf, type Vote } from './approval.js';
import type { Directory } from './directory.js';
import { eligibleFor, type RoutingOptions } from './stage-routing.js';

/** Roles that see every request of the tenant. */
const OVERSEERS = ['admin', 'security', 'auditor', 'approver'] as const;

export interface ApprovalView {
  readonly request: ApprovalRequest;
  readonly votes: readonly Vote[];
  /** Who may decide the current stage now (empty once settled). */
  readonly eligible: readonly string[];
  readonly onCall: readonly string[];
}

export function viewOf(
  request: ApprovalRequest,
  votes: readonly Vote[],
  directory: Directory,
  options: RoutingOptions,
): ApprovalView {
  if (request.status !== 'pending') return { request, votes, eligible: [], onCall: [] };
  const { eligible, onCall } = eligibleFor(request, directory, options);
  const voted = new Set(votes.map((v) => v.humanId));
  return { request, votes, eligible: eligible.filter((h) => !voted.has(h)), onCall };
}

/** Whether a human may see a request: overseers see all; others what concerns them. */
export function canSee(
  principal: HumanPrincipal,
  view: ApprovalView,
  agentOwnerId: string | undefined,
): boolean {
  if (OVERSEERS.some((role) => principal.roles.includes(role))) return true;
  const me = principal.humanId;
  const { request } = view;
  return (
    view.eligible.includes(me) ||
    view.votes.some((v) => v.humanId === me) ||
    agentOwnerId === me ||
    (request.requester.type === 'human' && request.requester.id === me) ||
    request.onBehalfOfId === me ||
    request.initiatorId === me
  );
}

export function approvalJson(view: ApprovalView, links: { self: string }) {
  const { request, votes } = view;
  const stages = stagesOf(request.requirement);
  return {
    id: request.id,
    kind: request.kind,
    mode: request.mode,
    status: request.status,
    agentId: request.agentId,
    decisionId: request.decisionId,
    taskId: request.taskId,
    tool: request.tool,
    actionDigest: request.actionDigest,
    requester: { ...request.requester },
    initiatorId: request.initiatorId,
    onBehalfOfId: request.onBehalfOfId,
    context: request.context,
    steps: stages
      .filter((_, i) => i < request.requirement.steps.length || i < request.stage + 1)
      .map((stage, i) => ({
        name: stage.name,
        approvers: stage.approvers.map(approverLabel),
        required: stage.required,
        approvals: votes.filter((v) => v.stage === i && v.verdict === 'approve').length,
        state: (i < request.stage
          ? 'done'
          : i === request.stage
            ? request.status === 'pending'
              ? 'current'
              : request.status
            : 'waiting') as string,
      })),
    currentStep: stages[request.stage]?.name ?? null,
    escalation: request.escalation,
    onTimeout: request.requirement.onTimeout,
    eligible: [...view.eligible],
    onCall: [...view.onCall],
    excluded: request.excluded.map((e) => ({ ...e })),
    votes: votes.map((v) => ({
      humanId: v.humanId,
      step: stages[v.stage]?.name ?? String(v.stage),
      verdict: v.verdict,
      comment: v.comment,
      at: toIso(v.at),
    })),
    deadline: toIso(request.deadlineAt),
    createdAt: toIso(request.createdAt),
    updatedAt: toIso(request.updatedAt),
    decidedAt: toIso(request.decidedAt),
    decidedBy: request.decidedBy,
    comment: request.comment,
    grantExpiresAt: toIso(request.grantExpiresAt),
    consumedAt: toIso(request.consumedAt),
    consumedBy: request.consumedBy,
    links,
  };
}

/** What the requesting agent learns: the outcome, never who the humans were. */
export function agentApprovalJson(request: ApprovalRequest) {
  return {
    id: request.id,
    kind: request.kind,
    mode: request.mode,
    status: request.status,
    tool: request.tool,
    actionDigest: request.actionDigest,
    deadline: toIso(request.deadlineAt),
    decidedAt: toIso(request.decidedAt),
    comment: request.comment,
    grantExpiresAt: toIso(request.grantExpiresAt),
    consumedAt: toIso(request.consumedAt),
  };
}
