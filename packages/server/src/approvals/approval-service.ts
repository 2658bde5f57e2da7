import type { JsonObject } from '@warden/policy';
import type { FastifyBaseLogger } from 'fastify';
import { type Agent, riskLevel } from '../agents/agent.js';
import { findAgent } from '../agents/agent-store.js';
import type { AuditEventInput, AuditLog } from '../audit/audit-log.js';
import type { HumanPrincipal } from '../credentials/principal.js';
import { forbidden, WardenError } from '../errors.js';
import type { Notification, Notifier } from '../notify/notifier.js';
import type { Signal, Signals } from '../signals/signals.js';
import type { FreshIdentityGate, VoteEvidence } from '../stepup/fresh-identity.js';
import { type Storage, type Trx, writeTransaction } from '../storage/database.js';
import type { ApprovalRequest, Vote } from './approval.js';
import type { PreparedApproval } from './approval-builder.js';
import { type RollbackCall, settle } from './approval-effects.js';
import { describeRequest, noticesFor } from './approval-notices.js';
import { insertApproval, insertVote, lockApproval, saveApproval, votesOf } from './approval-store.js';
import { Directory } from './directory.js';
import {
  currentStage,
  eligibleFor,
  enterStage,
  initiatorOf,
  isLastStage,
  type RoutingOptions,
} from './stage-routing.js';

export interface ApprovalOptions extends RoutingOptions {
  readonly publicUrl: string;
  /** How long an approved pre-mode action may still be executed. */
  readonly grantTtlSeconds: number;
}

/** Calls agents' rollback webhooks (signed, retried) after a rejected after-the-fact review. */
export interface RollbackCaller {
  rollback(call: RollbackCall): Promise<void>;
}

export interface ApprovalDeps {
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly signals: Signals;
  readonly notifier: Notifier;
  readonly rollbacks: RollbackCaller;
  readonly log: FastifyBaseLogger;
  readonly clock: () => number;
  readonly options: ApprovalOptions;
  /** Told of every request decided (by a human or its deadline) once committed: the wait metric. */
  readonly onDecided?: (request: ApprovalRequest) => void;
  /** Checks the fresh proof of identity a step asking the initiator to re-authenticate needs. */
  readonly freshIdentity?: FreshIdentityGate;
  /** Told when a request enters a stage (the step-up hook sends its re-authentication requests). */
  readonly stageListener?: StageListener;
}

/** What a committed change still has to do: tell nodes, humans and agents. */
interface AfterCommit {
  readonly signals: Signal[];
  readonly notices: Notification[];
  readonly rollbacks: RollbackCall[];
  /** The request, when this change decided it. */
  decided?: ApprovalRequest;
  /** The request, when this change moved it into a stage (opened, advanced, escalated). */
  entered?: ApprovalRequest;
}

/** What a vote's authorisation sees, inside the vote's transaction. */
interface VoteContext {
  readonly trx: Trx;
  readonly request: ApprovalRequest;
  readonly agent: Agent;
  readonly votes: readonly Vote[];
  readonly directory: Directory;
  readonly now: number;
}

/** Told after commit of every request that entered a stage: the step-up hook asks end customers to confirm. */
export interface StageListener {
  stageEntered(request: ApprovalRequest): Promise<void>;
}

export const sod = (message: string) => new WardenError('separation_of_duties', message);

/**
 * Votes, deadlines and escalation. Every change is one transaction on the request's locked row and
 * bumps its version, so the first valid decision wins and a deadline fires once, on any node.
 */
export class ApprovalService {
  constructor(readonly deps: ApprovalDeps) {}

  /** Inserts a prepared request (access requests, registrations) in its own transaction. */
  async open(
    prepared: PreparedApproval,
    extra: (trx: Trx) => Promise<void> = async () => {},
  ): Promise<ApprovalRequest> {
    await writeTransaction(this.deps.storage, async (trx) => {
      await this.insert(trx, prepared);
      await extra(trx);
    });
    await this.announce(prepared);
    return prepared.request;
  }

  /** Inserts a prepared request inside the caller's transaction; call `announce` after commit. */
  async insert(trx: Trx, prepared: PreparedApproval): Promise<void> {
    await insertApproval(trx, prepared.request);
    await this.deps.audit.append(trx, prepared.request.tenantId, [prepared.audit]);
  }

  async announce(prepared: PreparedApproval): Promise<void> {
    const { request } = prepared;
    await this.finish({
      signals: [approvalChanged(request)],
      notices: [...prepared.notices],
      rollbacks: [],
      entered: request,
    });
  }

  /**
   * One human's decision. When the current step asks the initiator to re-authenticate and this
   * human is the initiator, an approval must bring a fresh proof of identity (`evidence`), used up
   * in this transaction; a deny needs none (refusing is always safe).
   */
  async vote(
    principal: HumanPrincipal,
    id: string,
    verdict: Vote['verdict'],
    comment: string | undefined,
    evidence: VoteEvidence = {},
  ): Promise<ApprovalRequest> {
    const humanId = principal.humanId;
    return this.cast(
      principal.tenantId,
      id,
      { type: 'human', id: humanId },
      verdict,
      comment,
      async (ctx): Promise<JsonObject> => {
        const { trx, request, agent, votes, directory, now } = ctx;
        checkSeparationOfDuties(humanId, request, agent, votes, verdict);
        const { eligible } = eligibleFor(request, directory, this.deps.options);
        const stage = currentStage(request);
        if (!eligible.includes(humanId)) {
          throw forbidden(`you are not an approver of step '${stage.name}' of approval request ${id}`);
        }
        const asksReauth = stage.approvers.some((a) => a.kind === 'initiator' && a.reauth);
        if (verdict !== 'approve' || !asksReauth || humanId !== initiatorOf(request)) return {};
        const gate = this.deps.freshIdentity;
        if (!gate)
          throw new WardenError('reauth_required', 'this node has no way to check a re-authentication');
        const fresh = await gate.require(
          trx,
          evidence,
          { tenantId: request.tenantId, approvalId: id, actionDigest: request.actionDigest, humanId },
          now,
        );
        return { reauth: { source: fresh.source, ...fresh.detail } };
      },
    );
  }

  /**
   * The initiator's answer through the tenant's step-up hook: the product re-authenticated
   * `subject` and confirmed (or refused) the action. Counted as the initiator's vote on the step
   * the hook request was sent for; the caller has checked the product's signature and binding.
   */
  async confirmStepUp(
    tenantId: string,
    id: string,
    confirmation: { readonly stage: number; readonly subject: string; readonly requestId: string },
    verdict: Vote['verdict'],
    comment: string | undefined,
    /** Uses the hook request up in the vote's transaction (single use); throws when it cannot. */
    use: (trx: Trx, now: number) => Promise<void>,
  ): Promise<ApprovalRequest> {
    const voter = { type: 'step_up' as const, id: `stepup:${confirmation.subject}` };
    return this.cast(
      tenantId,
      id,
      voter,
      verdict,
      comment,
      async ({ trx, request, directory, votes, now }) => {
        if (request.stage !== confirmation.stage) {
          throw new WardenError(
            'conflict',
            `approval request ${id} has moved past the step this confirmation was for`,
          );
        }
        const { stepUp } = eligibleFor(request, directory, this.deps.options);
        if (stepUp !== confirmation.subject) {
          throw forbidden(
            `step '${currentStage(request).name}' of ${id} is not waiting for ${confirmation.subject} through the step-up hook`,
          );
        }
        if (votes.some((v) => v.humanId === voter.id)) {
          throw new WardenError('separation_of_duties', 'the initiator has already answered this request');
        }
        await use(trx, now);
        return { stepUp: { subject: confirmation.subject, requestId: confirmation.requestId } };
      },
    );
  }

  /**
   * A vote on the request's current stage, in one transaction on its locked row: a passed deadline
   * wins first, a settled request is a conflict, `authorize` refuses whoever may not vote (and adds
   * what the audit event should record), then the vote settles the stage or the request.
   */
  private async cast(
    tenantId: string,
    id: string,
    voter: { readonly type: 'human' | 'step_up'; readonly id: string },
    verdict: Vote['verdict'],
    comment: string | undefined,
    authorize: (ctx: VoteContext) => Promise<JsonObject>,
  ): Promise<ApprovalRequest> {
    const { storage, clock } = this.deps;
    const result = await writeTransaction(storage, async (trx) => {
      const now = clock();
      const request = await lockApproval(trx, storage.dialect, tenantId, id);
      // A deadline that passed before the sweeper got to it still wins over a late vote.
      if (request.status === 'pending' && request.deadlineAt <= now) {
        return { late: await this.applyDeadline(trx, request, now), settled: undefined };
      }
      if (request.status !== 'pending') {
        throw new WardenError(
          'conflict',
          `approval request ${id} is already ${request.status}${request.decidedBy ? ` (by ${request.decidedBy})` : ''}`,
          { status: request.status },
        );
      }
      const agent = await findAgent(trx, tenantId, request.agentId);
      if (!agent) throw new WardenError('internal', `approval ${id} names a missing agent`);
      const votes = await votesOf(trx, tenantId, id);
      const directory = await Directory.load(trx, tenantId);
      const extra = await authorize({ trx, request, agent, votes, directory, now });
      const stage = currentStage(request);
      const vote: Vote = {
        humanId: voter.id,
        stage: request.stage,
        verdict,
        comment: comment ?? null,
        at: now,
      };
      await insertVote(trx, tenantId, id, vote);
      const events: AuditEventInput[] = [
        {
          type: `approval.${verdict}`,
          actor:
            voter.type === 'human'
              ? { type: 'human', id: voter.id }
              : { type: 'system', id: 'step-up', onBehalfOf: voter.id.slice('stepup:'.length) },
          subject: { type: 'approval', id },
          ...(request.tool ? { tool: request.tool } : {}),
          payload: {
            step: stage.name,
            stage: request.stage,
            comment: comment ?? null,
            agentId: request.agentId,
            ...extra,
          },
          at: now,
        },
      ];
      const approvals = votes.filter((v) => v.stage === request.stage && v.verdict === 'approve').length + 1;
      let next: ApprovalRequest;
      let notices: Notification[] = [];
      let entered: ApprovalRequest | undefined;
      if (verdict === 'deny') {
        next = decided(request, 'denied', voter.id, comment, now);
      } else if (approvals < stage.required) {
        next = { ...request, updatedAt: now, version: request.version + 1 };
      } else if (isLastStage(request)) {
        next = decided(request, 'approved', voter.id, comment, now);
        if (request.kind === 'action' && request.mode === 'pre') {
          next = { ...next, grantExpiresAt: now + this.deps.options.grantTtlSeconds * 1000 };
        }
      } else {
        const entry = enterStage(
          request,
          request.stage + 1,
          request.escalation,
          directory,
          now,
          this.deps.options,
        );
        next = { ...entry.request, updatedAt: now, version: request.version + 1 };
        entered = next;
        events.push({
          type: 'approval.advance',
          actor: { type: 'system', id: 'approvals' },
          subject: { type: 'approval', id },
          payload: {
            from: stage.name,
            to: currentStage(next).name,
            notified: [...entry.notify],
            unroutable: entry.unroutable,
          },
          at: now,
        });
        notices = noticesFor(
          entry.unroutable ? 'approval.unroutable' : 'approval.request',
          next,
          entry.notify,
          directory,
          describeRequest(next),
          this.deps.options.publicUrl,
          now,
        );
      }
      const settled = await this.commit(trx, request, next, agent, events, notices, directory, now);
      if (entered) settled.after.entered = settled.request;
      return { late: undefined, settled };
    });
    if (result.late) {
      await this.finish(result.late.after);
      const late = result.late.request;
      throw new WardenError(
        'conflict',
        late.status === 'pending'
          ? `the deadline of approval request ${id} passed; it was escalated to step '${currentStage(late).name}'`
          : `the deadline of approval request ${id} passed; it is ${late.status}`,
        { status: late.status },
      );
    }
    await this.finish(result.settled.after);
    return result.settled.request;
  }

  /** A passed deadline: escalate to the next target, or expire (a deny). False if someone got there first. */
  async timeout(tenantId: string, id: string, version: number): Promise<boolean> {
    const { storage, clock } = this.deps;
    const result = await writeTransaction(storage, async (trx) => {
      const now = clock();
      const request = await lockApproval(trx, storage.dialect, tenantId, id);
      if (request.status !== 'pending' || request.version !== version || request.deadlineAt > now)
        return null;
      return this.applyDeadline(trx, request, now);
    });
    if (!result) return false;
    await this.finish(result.after);
    return true;
  }

  /**
   * Applies a passed deadline inside the caller's transaction: the next escalation target, or
   * expiry (a deny). A deadline never approves.
   */
  private async applyDeadline(
    trx: Trx,
    request: ApprovalRequest,
    now: number,
  ): Promise<{ request: ApprovalRequest; after: AfterCommit }> {
    const { tenantId, id } = request;
    const agent = await findAgent(trx, tenantId, request.agentId);
    if (!agent) throw new WardenError('internal', `approval ${id} names a missing agent`);
    const directory = await Directory.load(trx, tenantId);
    const { requirement } = request;
    const events: AuditEventInput[] = [];
    let notices: Notification[] = [];
    let next: ApprovalRequest;
    if (requirement.onTimeout === 'escalate' && request.escalation < requirement.escalateTo.length) {
      const target = requirement.steps.length + request.escalation;
      const entry = enterStage(request, target, request.escalation + 1, directory, now, this.deps.options);
      next = { ...entry.request, updatedAt: now, version: request.version + 1 };
      events.push({
        type: 'approval.escalate',
        actor: { type: 'system', id: 'approvals' },
        subject: { type: 'approval', id },
        payload: {
          from: currentStage(request).name,
          to: currentStage(next).name,
          deadline: new Date(next.deadlineAt).toISOString(),
          notified: [...entry.notify],
          unroutable: entry.unroutable,
        },
        at: now,
      });
      notices = noticesFor(
        entry.unroutable ? 'approval.unroutable' : 'approval.escalate',
        next,
        entry.notify,
        directory,
        `Escalated to you: ${describeRequest(next)}`,
        this.deps.options.publicUrl,
        now,
      );
      const escalated = await this.commit(trx, request, next, agent, events, notices, directory, now);
      escalated.after.entered = escalated.request;
      return escalated;
    } else {
      next = decided(
        request,
        'expired',
        'system',
        `no decision by the deadline (step '${currentStage(request).name}')`,
        now,
      );
      events.push({
        type: 'approval.expire',
        actor: { type: 'system', id: 'approvals' },
        subject: { type: 'approval', id },
        payload: { step: currentStage(request).name, deadline: new Date(request.deadlineAt).toISOString() },
        at: now,
      });
    }
    return this.commit(trx, request, next, agent, events, notices, directory, now);
  }

  /** The on-call person had the request to themself; now the rest of the group hears of it. */
  async offerToGroup(tenantId: string, id: string, version: number): Promise<boolean> {
    const { storage, clock } = this.deps;
    const result = await writeTransaction(storage, async (trx) => {
      const now = clock();
      const request = await lockApproval(trx, storage.dialect, tenantId, id);
      if (request.status !== 'pending' || request.version !== version || request.onCallUntil === null)
        return null;
      if (request.onCallUntil > now) return null;
      const directory = await Directory.load(trx, tenantId);
      const { eligible, onCall } = eligibleFor(request, directory, this.deps.options);
      const votes = await votesOf(trx, tenantId, id);
      const rest = eligible.filter((h) => !onCall.includes(h) && !votes.some((v) => v.humanId === h));
      const next = { ...request, onCallUntil: null, updatedAt: now, version: request.version + 1 };
      if (!(await saveApproval(trx, request, next))) return null;
      await this.deps.audit.append(trx, tenantId, [
        {
          type: 'approval.notify',
          actor: { type: 'system', id: 'approvals' },
          subject: { type: 'approval', id },
          payload: {
            step: currentStage(request).name,
            notified: rest,
            reason: 'the on-call person has not decided yet',
          },
          at: now,
        },
      ]);
      const notices = noticesFor(
        'approval.request',
        next,
        rest,
        directory,
        describeRequest(next),
        this.deps.options.publicUrl,
        now,
      );
      return { request: next, after: { signals: [approvalChanged(next)], notices, rollbacks: [] } };
    });
    if (!result) return false;
    await this.finish(result.after);
    return true;
  }

  private async commit(
    trx: Trx,
    before: ApprovalRequest,
    next: ApprovalRequest,
    agent: Agent,
    events: AuditEventInput[],
    notices: Notification[],
    directory: Directory,
    now: number,
  ): Promise<{ request: ApprovalRequest; after: AfterCommit }> {
    if (!(await saveApproval(trx, before, next))) {
      throw new WardenError('conflict', `approval request ${before.id} changed meanwhile; try again`);
    }
    const after: AfterCommit = { signals: [], notices, rollbacks: [] };
    if (next.status !== 'pending') {
      after.decided = next;
      events.push(outcomeEvent(next, now));
      const settlement = await settle(trx, next, agent, now);
      events.push(...settlement.events);
      after.signals.push(...settlement.signals);
      after.rollbacks.push(...settlement.rollbacks);
      const told = [agent.ownerId, next.requester.type === 'human' ? next.requester.id : null].filter(
        (h, i, all): h is string => h !== null && all.indexOf(h) === i,
      );
      notices.push(
        ...noticesFor(
          'approval.decided',
          next,
          told,
          directory,
          `${next.status}: ${describeRequest(next)}`,
          this.deps.options.publicUrl,
          now,
        ),
      );
    }
    await this.deps.audit.append(trx, next.tenantId, events);
    after.signals.unshift(approvalChanged(next));
    return { request: next, after };
  }

  private async finish(after: AfterCommit): Promise<void> {
    if (after.decided) this.deps.onDecided?.(after.decided);
    const listener = this.deps.stageListener;
    if (after.entered && after.entered.status === 'pending' && listener) {
      const request = after.entered;
      listener
        .stageEntered(request)
        .catch((error: unknown) =>
          this.deps.log.warn({ err: error, approvalId: request.id }, 'step-up request failed'),
        );
    }
    for (const signal of after.signals) await this.deps.signals.publish(signal);
    for (const notice of after.notices) {
      this.deps.notifier
        .notify(notice)
        .catch((error: unknown) =>
          this.deps.log.warn({ err: error, type: notice.type }, 'notification failed'),
        );
    }
    for (const call of after.rollbacks) {
      this.deps.rollbacks
        .rollback(call)
        .catch((error: unknown) => this.deps.log.warn({ err: error }, 'rollback call failed'));
    }
  }
}

function decided(
  request: ApprovalRequest,
  status: 'approved' | 'denied' | 'expired',
  by: string,
  comment: string | undefined | null,
  now: number,
): ApprovalRequest {
  return {
    ...request,
    status,
    decidedAt: now,
    decidedBy: by,
    comment: comment ?? null,
    onCallUntil: null,
    updatedAt: now,
    version: request.version + 1,
  };
}

function outcomeEvent(request: ApprovalRequest, now: number): AuditEventInput {
  const type = {
    approved: 'approval.grant',
    denied: 'approval.reject',
    expired: 'approval.timeout',
    pending: '',
    cancelled: 'approval.cancel',
  }[request.status];
  return {
    type,
    actor:
      request.decidedBy && request.decidedBy !== 'system'
        ? { type: 'human', id: request.decidedBy }
        : { type: 'system', id: 'approvals' },
    subject: { type: 'approval', id: request.id },
    ...(request.tool ? { tool: request.tool } : {}),
    payload: {
      kind: request.kind,
      mode: request.mode,
      status: request.status,
      agentId: request.agentId,
      decisionId: request.decisionId,
      actionDigest: request.actionDigest,
      comment: request.comment,
      grantExpiresAt: request.grantExpiresAt === null ? null : new Date(request.grantExpiresAt).toISOString(),
    },
    at: now,
  };
}

export function approvalChanged(request: ApprovalRequest): Signal {
  return {
    type: 'approval.changed',
    tenantId: request.tenantId,
    approvalId: request.id,
    status: request.status,
    version: request.version,
  };
}

/**
 * Separation of duties, before eligibility: who may never decide this request, whatever group they
 * are in. Agents never reach here (the routes refuse agent keys with the same code).
 */
function checkSeparationOfDuties(
  humanId: string,
  request: ApprovalRequest,
  agent: Agent,
  votes: readonly Vote[],
  verdict: Vote['verdict'],
): void {
  if (votes.some((v) => v.humanId === humanId)) {
    throw sod('you have already decided on this request; each human counts once per request');
  }
  const initiator = initiatorOf(request);
  const confirms = currentStage(request).approvers.some((a) => a.kind === 'initiator');
  for (const exclusion of request.excluded) {
    if (exclusion.humanId !== humanId) continue;
    if (exclusion.why === 'requester') throw sod('you asked for this; someone else must decide it');
    if (exclusion.why === 'policy_owner') {
      throw sod('you own the policy whose rule asked for this review; someone else must decide it');
    }
    if (exclusion.why === 'on_behalf_of' && !(confirms && humanId === initiator)) {
      throw sod('the agent acts on your behalf here; only a step asking for the initiator lets you confirm');
    }
  }
  if (verdict === 'approve' && humanId === agent.ownerId && riskLevel(agent.risk) === 'high') {
    const others = votes.some((v) => v.verdict === 'approve' && v.humanId !== humanId);
    const inStage = votes.filter((v) => v.stage === request.stage && v.verdict === 'approve').length;
    const completes = isLastStage(request) && inStage + 1 >= currentStage(request).required;
    if (completes && !others) {
      throw sod(`agent ${agent.name} is high-risk: its owner cannot be the only approver`);
    }
  }
}
