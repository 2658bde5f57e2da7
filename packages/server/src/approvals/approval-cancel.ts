import type { AuditActor, AuditEventInput } from '../audit/audit-log.js';
import { WardenError } from '../errors.js';
import type { Signal } from '../signals/signals.js';
import type { Dialect, Trx } from '../storage/database.js';
import type { ApprovalMode, ApprovalRequest } from './approval.js';
import { approvalChanged } from './approval-service.js';
import { lockApproval, saveApproval } from './approval-store.js';

/**
 * The requests a kill cancels: those that would let the agent do something it has not done yet (a
 * pre-mode action, an access grant, its own activation). After-the-fact reviews (`post`, `sample`)
 * look at actions already taken, which matter most once an agent is stopped: they stay open.
 */
const CANCELLED_MODES: readonly ApprovalMode[] = ['pre'];

export interface CancelInput {
  readonly tenantId: string;
  /** Whose requests: these agents, or every agent of the tenant (a freeze). */
  readonly agentIds: readonly string[] | 'all';
  readonly actor: AuditActor;
  /** Shown on the request (its comment) and recorded in the audit event. */
  readonly reason: string;
  readonly now: number;
}

export interface CancelledApprovals {
  readonly cancelled: ApprovalRequest[];
  /** Append in the caller's transaction. */
  readonly events: AuditEventInput[];
  /** Publish after commit: releases agents waiting on the requests (long-poll, SSE) on every node. */
  readonly signals: Signal[];
}

/**
 * Cancels the pending requests of some agents inside the caller's transaction. Each row is locked and
 * saved over its version like a vote, so a request decided meanwhile keeps its decision; a vote that
 * arrives after the cancellation finds it settled (409), and redeeming it is denied.
 */
export async function cancelPendingApprovals(
  trx: Trx,
  dialect: Dialect,
  input: CancelInput,
): Promise<CancelledApprovals> {
  const { tenantId, agentIds, now } = input;
  const out: CancelledApprovals = { cancelled: [], events: [], signals: [] };
  if (agentIds !== 'all' && agentIds.length === 0) return out;
  let query = trx
    .selectFrom('approval_requests')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'pending')
    .where('mode', 'in', [...CANCELLED_MODES]);
  if (agentIds !== 'all') query = query.where('agent_id', 'in', [...agentIds]);
  const rows = await query.orderBy('id').execute();
  for (const { id } of rows) {
    const request = await lockApproval(trx, dialect, tenantId, id);
    if (request.status !== 'pending') continue;
    const next: ApprovalRequest = {
      ...request,
      status: 'cancelled',
      decidedAt: now,
      decidedBy: input.actor.type === 'human' ? input.actor.id : 'system',
      comment: input.reason,
      onCallUntil: null,
      updatedAt: now,
      version: request.version + 1,
    };
    if (!(await saveApproval(trx, request, next))) {
      throw new WardenError('conflict', `approval request ${id} changed meanwhile; try again`);
    }
    out.cancelled.push(next);
    out.events.push(cancelEvent(next, input.actor, input.reason, now));
    out.signals.push(approvalChanged(next));
  }
  return out;
}

function cancelEvent(
  request: ApprovalRequest,
  actor: AuditActor,
  reason: string,
  now: number,
): AuditEventInput {
  return {
    type: 'approval.cancel',
    actor,
    subject: { type: 'approval', id: request.id },
    ...(request.tool ? { tool: request.tool } : {}),
    payload: {
      kind: request.kind,
      mode: request.mode,
      status: request.status,
      agentId: request.agentId,
      decisionId: request.decisionId,
      actionDigest: request.actionDigest,
      reason,
    },
    at: now,
  };
}
