import type { AuditLog } from '../audit/audit-log.js';
import type { Storage } from '../storage/database.js';
import { writeTransaction } from '../storage/database.js';
import type { ApprovalRequest } from './approval.js';
import { lockApproval, saveApproval } from './approval-store.js';

export type RedemptionCode =
  | 'approval_pending'
  | 'approval_denied'
  | 'approval_expired'
  | 'approval_used'
  | 'approval_mismatch';

export type Redemption =
  | { readonly ok: true; readonly request: ApprovalRequest }
  | { readonly ok: false; readonly code: RedemptionCode; readonly reason: string };

/**
 * Uses an approved pre-mode request for the action it approved: the same agent, the same tool and
 * arguments (by digest), once, before the grant expires. The request row is locked, so two calls
 * racing to use one approval get one allow between them.
 */
export async function redeemApproval(
  deps: { readonly storage: Storage; readonly audit: AuditLog },
  input: {
    readonly tenantId: string;
    readonly agentId: string;
    readonly approvalId: string;
    readonly actionDigest: string;
    readonly decisionId: string;
    readonly now: number;
  },
): Promise<Redemption> {
  const { approvalId: id, now } = input;
  return writeTransaction(deps.storage, async (trx) => {
    let request: ApprovalRequest;
    try {
      request = await lockApproval(trx, deps.storage.dialect, input.tenantId, id);
    } catch {
      return refuse('approval_mismatch', `approval request ${id} does not exist for this tenant`);
    }
    if (request.agentId !== input.agentId || request.kind !== 'action' || request.mode !== 'pre') {
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
    if (request.consumedAt !== null) {
      return refuse(
        'approval_used',
        `approval request ${id} was already used by decision ${request.consumedBy}; an approval is good for one call`,
      );
    }
    if (request.grantExpiresAt !== null && request.grantExpiresAt <= now) {
      return refuse(
        'approval_expired',
        `the approval in ${id} expired at ${new Date(request.grantExpiresAt).toISOString()}; ask again`,
      );
    }
    if (request.actionDigest !== input.actionDigest) {
      return refuse(
        'approval_mismatch',
        `approval request ${id} approved a different action (other tool or arguments); it cannot be used for this one`,
      );
    }
    const next: ApprovalRequest = {
      ...request,
      consumedAt: now,
      consumedBy: input.decisionId,
      updatedAt: now,
      version: request.version + 1,
    };
    if (!(await saveApproval(trx, request, next)))
      return refuse('approval_used', `approval request ${id} was used meanwhile`);
    await deps.audit.append(trx, input.tenantId, [
      {
        type: 'approval.use',
        actor: { type: 'agent', id: input.agentId },
        subject: { type: 'approval', id },
        ...(request.tool ? { tool: request.tool } : {}),
        payload: { decisionId: input.decisionId, actionDigest: input.actionDigest },
        at: now,
      },
    ]);
    return { ok: true, request: next };
  });
}

function refuse(code: RedemptionCode, reason: string): Redemption {
  return { ok: false, code, reason };
}
