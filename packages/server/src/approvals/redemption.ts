import type { AuditEventInput } from '../audit/audit-log.js';
import type { Dialect, Trx } from '../storage/database.js';
import type { ApprovalRequest } from './approval.js';
import { lockApproval, saveApproval } from './approval-store.js';

export type RedemptionCode =
  | 'approval_pending'
  | 'approval_denied'
  | 'approval_expired'
  | 'approval_used'
  | 'approval_mismatch';

/** A call's claim on an approval: which request, for which exact action (tool and arguments, by digest). */
export interface RedemptionClaim {
  readonly tenantId: string;
  readonly agentId: string;
  readonly approvalId: string;
  readonly actionDigest: string;
  readonly decisionId: string;
  readonly now: number;
}

export type Redemption =
  | { readonly ok: true; readonly request: ApprovalRequest }
  | { readonly ok: false; readonly code: RedemptionCode; readonly reason: string };

/**
 * Whether an approved pre-mode request may be used for the claimed call: the same agent, the same
 * tool and arguments (by digest), once, before the grant expires. Runs inside the decision's
 * transaction with the request's row locked, so calls racing to use one approval on several nodes
 * take turns; `usedBy` names the decision of the same batch that already claimed it, if any.
 */
export async function checkRedemption(
  trx: Trx,
  dialect: Dialect,
  claim: RedemptionClaim,
  usedBy: string | undefined,
): Promise<Redemption> {
  const { approvalId: id, now } = claim;
  let request: ApprovalRequest;
  try {
    request = await lockApproval(trx, dialect, claim.tenantId, id);
  } catch {
    return refuse('approval_mismatch', `approval request ${id} does not exist for this tenant`);
  }
  if (request.agentId !== claim.agentId || request.kind !== 'action' || request.mode !== 'pre') {
    return refuse(
      'approval_mismatch',
      `approval request ${id} is not an approval of an action by this agent`,
    );
  }
  if (request.status === 'pending') {
    return refuse(
      'approval_pending',
      `approval request ${id} is still waiting for a decision; wait for it (GET /v1/approvals/${id}/wait)`,
    );
  }
  if (request.status !== 'approved') {
    const code = request.status === 'expired' ? 'approval_expired' : 'approval_denied';
    return refuse(
      code,
      `approval request ${id} was ${request.status}${request.comment ? `: ${request.comment}` : ''}; the call is not allowed`,
    );
  }
  const consumedBy = request.consumedBy ?? usedBy;
  if (request.consumedAt !== null || usedBy !== undefined) {
    return refuse(
      'approval_used',
      `approval request ${id} was already used by decision ${consumedBy}; an approval is good for one call`,
    );
  }
  if (request.grantExpiresAt !== null && request.grantExpiresAt <= now) {
    return refuse(
      'approval_expired',
      `the approval in ${id} expired at ${new Date(request.grantExpiresAt).toISOString()}; ask again`,
    );
  }
  if (request.actionDigest !== claim.actionDigest) {
    return refuse(
      'approval_mismatch',
      `approval request ${id} approved a different action (other tool or arguments); it cannot be used for this one`,
    );
  }
  return { ok: true, request };
}

/**
 * Marks a checked approval used by the claiming decision, in the same transaction (its row is still
 * locked); returns the request as it now is and the `approval.use` event to append with the decision.
 */
export async function consumeApproval(
  trx: Trx,
  request: ApprovalRequest,
  claim: RedemptionClaim,
): Promise<{ readonly request: ApprovalRequest; readonly event: AuditEventInput }> {
  const next: ApprovalRequest = {
    ...request,
    consumedAt: claim.now,
    consumedBy: claim.decisionId,
    updatedAt: claim.now,
    version: request.version + 1,
  };
  // The row is locked since the check; a lost update here means the lock did not hold.
  if (!(await saveApproval(trx, request, next))) {
    throw new Error(`approval request ${request.id} changed while locked`);
  }
  return {
    request: next,
    event: {
      type: 'approval.use',
      actor: { type: 'agent', id: claim.agentId },
      subject: { type: 'approval', id: request.id },
      ...(request.tool ? { tool: request.tool } : {}),
      payload: { decisionId: claim.decisionId, actionDigest: claim.actionDigest },
      at: claim.now,
    },
  };
}

function refuse(code: RedemptionCode, reason: string): Redemption {
  return { ok: false, code, reason };
}
