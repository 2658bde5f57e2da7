import type { ApprovalRequirement, JsonObject } from '@warden/policy';
import type { AuditEventInput } from '../audit/audit-log.js';
import { newId } from '../ids.js';
import type { Notification } from '../notify/notifier.js';
import type { ApprovalKind, ApprovalMode, ApprovalRequest, Exclusion, Requirement } from './approval.js';
import { describeRequest, noticesFor } from './approval-notices.js';
import type { Directory } from './directory.js';
import { initiatorAnswer, resolveTaskHuman } from './initiator.js';
import { enterStage, type RoutingOptions } from './stage-routing.js';

export interface NewApproval {
  readonly tenantId: string;
  readonly kind: ApprovalKind;
  readonly mode: ApprovalMode;
  readonly agentId: string;
  readonly decisionId?: string;
  readonly taskId?: string | null;
  readonly tool?: string;
  readonly actionDigest?: string;
  readonly requester: { readonly type: 'agent' | 'human'; readonly id: string };
  /** As the task's context gave them: ids, e-mail addresses or names; resolved to humans here. */
  readonly initiator?: string;
  readonly onBehalfOf?: string;
  readonly requirement: Requirement;
  /** Authors of the policies whose rules asked for this review. */
  readonly policyOwners?: readonly string[];
  /** What the approver sees. */
  readonly context: JsonObject;
  /** Start later than the first step (an owner's own access request skips the owner step). */
  readonly firstStage?: number;
  readonly now: number;
}

/** A request ready to insert, its audit event, and whom to tell once it has committed. */
export interface PreparedApproval {
  readonly request: ApprovalRequest;
  readonly audit: AuditEventInput;
  readonly notices: readonly Notification[];
}

/** A rule's requirement as a request stores it; a rule without approvers gets one default step. */
export function requirementOf(approval: ApprovalRequirement): Requirement {
  return {
    steps:
      approval.steps.length > 0
        ? approval.steps.map((s) => ({ name: s.name, approvers: [...s.approvers], required: s.required }))
        : [{ name: 'review', approvers: [], required: 1 }],
    timeoutSeconds: approval.timeoutSeconds,
    onTimeout: approval.onTimeout,
    escalateTo: [...approval.escalateTo],
  };
}

/**
 * Builds a request: resolves the task's humans, works out who separation of duties excludes, and
 * routes the first stage. Nothing is written here; the caller inserts it in its own transaction.
 */
export function prepareApproval(
  input: NewApproval,
  directory: Directory,
  options: RoutingOptions & { readonly publicUrl: string },
): PreparedApproval {
  const initiatorId = resolveTaskHuman(directory, input.initiator);
  const onBehalfOfId = resolveTaskHuman(directory, input.onBehalfOf);
  const excluded: Exclusion[] = [];
  const exclude = (humanId: string | undefined | null, why: Exclusion['why']) => {
    if (humanId && !excluded.some((e) => e.humanId === humanId && e.why === why))
      excluded.push({ humanId, why });
  };
  for (const owner of input.policyOwners ?? []) exclude(directory.resolve(owner), 'policy_owner');
  exclude(onBehalfOfId, 'on_behalf_of');
  if (input.requester.type === 'human') exclude(input.requester.id, 'requester');

  const draft: ApprovalRequest = {
    id: newId('apr', input.now),
    tenantId: input.tenantId,
    kind: input.kind,
    mode: input.mode,
    status: 'pending',
    agentId: input.agentId,
    decisionId: input.decisionId ?? null,
    taskId: input.taskId ?? null,
    tool: input.tool ?? null,
    actionDigest: input.actionDigest ?? null,
    requester: input.requester,
    initiatorId,
    onBehalfOfId,
    context: input.context,
    requirement: input.requirement,
    excluded,
    stage: 0,
    escalation: 0,
    deadlineAt: input.now,
    onCallUntil: null,
    createdAt: input.now,
    updatedAt: input.now,
    decidedAt: null,
    decidedBy: null,
    comment: null,
    grantExpiresAt: null,
    consumedAt: null,
    consumedBy: null,
    version: 1,
  };
  const entry = enterStage(draft, input.firstStage ?? 0, 0, directory, input.now, options);
  const request = entry.request;
  const summary = entry.unroutable
    ? `Nobody can decide this yet: ${describeRequest(request)}`
    : describeRequest(request);
  return {
    request,
    audit: {
      type: 'approval.request',
      actor: input.requester,
      subject: { type: 'approval', id: request.id },
      ...(request.taskId ? { task: { id: request.taskId } } : {}),
      ...(request.tool ? { tool: request.tool } : {}),
      payload: {
        kind: request.kind,
        mode: request.mode,
        status: request.status,
        agentId: request.agentId,
        decisionId: request.decisionId,
        actionDigest: request.actionDigest,
        requirement: request.requirement as unknown as JsonObject,
        stage: request.stage,
        deadline: new Date(request.deadlineAt).toISOString(),
        notified: [...entry.notify],
        excluded: request.excluded as unknown as JsonObject[],
        ...(entry.unroutable ? { unroutable: entry.unroutable } : {}),
      },
      at: input.now,
    },
    notices: noticesFor(
      entry.unroutable ? 'approval.unroutable' : 'approval.request',
      request,
      entry.notify,
      directory,
      summary,
      options.publicUrl,
      input.now,
    ),
  };
}

/**
 * Why nobody could ever decide this request, or null: a step that only the initiator can decide
 * (every approver is `initiator`) while nobody answers for the initiator (see initiator.ts). Such a
 * review is refused when decided (`no_eligible_approver`) instead of waiting for its deadline.
 */
export function unanswerable(request: ApprovalRequest, directory: Directory): string | null {
  const step = request.requirement.steps.find(
    (s) => s.approvers.length > 0 && s.approvers.every((a) => a.kind === 'initiator'),
  );
  if (!step || initiatorAnswer(request, directory).kind !== 'nobody') return null;
  const named = [request.context.task]
    .flatMap((task) => (task && typeof task === 'object' && !Array.isArray(task) ? [task] : []))
    .flatMap((task) => [task.onBehalfOf, task.initiator])
    .filter((v): v is string => typeof v === 'string' && v !== '');
  const who =
    named.length > 0
      ? `the task names ${named.map((n) => JSON.stringify(n)).join(' and ')}, who is not a Warden user of this tenant`
      : 'the task names no initiator (context.initiator, context.onBehalfOf)';
  return `step '${step.name}' must be decided by the initiator, and nobody can answer for them: ${who}, and the tenant has no step-up hook to re-authenticate them. Give the task a Warden user as initiator, or set a hook with \`warden step-up hook set\``;
}
