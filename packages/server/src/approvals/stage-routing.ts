import type { HumanRole } from '../tenants/roles.js';
import { type ApprovalRequest, isEscalationStage, type Stage, stagesOf } from './approval.js';
import { audienceOf, type Directory } from './directory.js';
import { initiatorAnswer } from './initiator.js';

export interface RoutingOptions {
  /** Upper bound for any stage's deadline. */
  readonly maxTimeoutSeconds: number;
  /** How long the on-call person has a request to themself before the rest of the group hears of it. */
  readonly onCallFirstSeconds: number;
  readonly fallbackRoles: Readonly<Record<string, readonly HumanRole[]>>;
}

/**
 * The human an `initiator` approver stands for: the one the task runs for when they are a Warden
 * user, else who started it (see initiator.ts for who answers when neither is).
 */
export function initiatorOf(request: Pick<ApprovalRequest, 'onBehalfOfId' | 'initiatorId'>): string | null {
  return request.onBehalfOfId ?? request.initiatorId;
}

export function currentStage(request: ApprovalRequest): Stage {
  const stage = stagesOf(request.requirement)[request.stage];
  if (!stage) throw new Error(`approval ${request.id} is at stage ${request.stage}, which does not exist`);
  return stage;
}

/**
 * Who may decide the request's current stage: the stage's approvers, minus those separation of
 * duties excludes. The on-behalf-of human is excluded everywhere except where the stage asks for
 * the initiator's own confirmation.
 */
export function eligibleFor(
  request: ApprovalRequest,
  directory: Directory,
  options: RoutingOptions,
): { eligible: string[]; onCall: string[]; stepUp: string | null } {
  const stage = currentStage(request);
  const initiator = initiatorOf(request);
  const answer = initiatorAnswer(request, directory);
  const audience = audienceOf(directory, stage.approvers, {
    initiatorId: initiator,
    fallbackRoles: options.fallbackRoles,
  });
  const confirms = stage.approvers.some((a) => a.kind === 'initiator');
  const excluded = new Set(
    request.excluded
      .filter((e) => !(confirms && e.why === 'on_behalf_of' && e.humanId === initiator))
      .map((e) => e.humanId),
  );
  return {
    eligible: audience.eligible.filter((id) => !excluded.has(id)),
    onCall: audience.onCall.filter((id) => !excluded.has(id)),
    // The initiator answers through the tenant's step-up hook: they count as one possible approver.
    stepUp: confirms && answer.kind === 'step_up_hook' ? answer.subject : null,
  };
}

export interface StageEntry {
  readonly request: ApprovalRequest;
  /** Humans to notify now. */
  readonly notify: readonly string[];
  /**
   * Set when the stage cannot be decided by the humans there are now: the admins are told, people
   * can be added (eligibility is worked out again at every vote), and the deadline decides otherwise.
   */
  readonly unroutable: string | null;
  readonly escalated: boolean;
}

/**
 * Moves a request into `stage` with a fresh deadline. A stage that cannot be decided (fewer
 * eligible humans than it needs) is skipped to the next escalation target when the rule escalates;
 * otherwise it waits, and the tenant's admins are told that nobody can decide it yet.
 */
export function enterStage(
  request: ApprovalRequest,
  stage: number,
  escalation: number,
  directory: Directory,
  now: number,
  options: RoutingOptions,
): StageEntry {
  const stages = stagesOf(request.requirement);
  const timeoutMs = Math.min(request.requirement.timeoutSeconds, options.maxTimeoutSeconds) * 1000;
  let next: ApprovalRequest = {
    ...request,
    stage,
    escalation,
    deadlineAt: now + timeoutMs,
    onCallUntil: null,
  };
  let escalated = escalation > request.escalation;
  for (;;) {
    const { eligible, onCall, stepUp } = eligibleFor(next, directory, options);
    const needed = currentStage(next).required;
    if (eligible.length + (stepUp ? 1 : 0) >= needed) {
      const others = eligible.filter((id) => !onCall.includes(id));
      if (onCall.length > 0 && others.length > 0 && options.onCallFirstSeconds > 0) {
        const window = Math.min(options.onCallFirstSeconds * 1000, Math.floor(timeoutMs / 2));
        next = { ...next, onCallUntil: now + window };
        return { request: next, notify: onCall, unroutable: null, escalated };
      }
      return { request: next, notify: eligible, unroutable: null, escalated };
    }
    const name = currentStage(next).name;
    const canEscalate =
      request.requirement.onTimeout === 'escalate' && next.escalation < request.requirement.escalateTo.length;
    if (!canEscalate) {
      const reason = `nobody can decide step '${name}' yet: it needs ${needed} approver(s) and ${eligible.length + (stepUp ? 1 : 0)} eligible human(s) remain after separation of duties; add approvers before ${new Date(next.deadlineAt).toISOString()}`;
      const excluded = new Set(next.excluded.map((e) => e.humanId));
      const admins = directory.withRole('admin').filter((id) => !excluded.has(id));
      return { request: next, notify: admins, unroutable: reason, escalated };
    }
    const target = request.requirement.steps.length + next.escalation;
    next = { ...next, stage: target, escalation: next.escalation + 1 };
    escalated = true;
    if (!stages[target]) throw new Error('escalation stage out of range');
  }
}

/** True when approving the current stage settles the whole request. */
export function isLastStage(request: ApprovalRequest): boolean {
  return (
    isEscalationStage(request.requirement, request.stage) ||
    request.stage === request.requirement.steps.length - 1
  );
}
