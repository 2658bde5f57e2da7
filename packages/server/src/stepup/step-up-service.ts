import { type ApprovalRequest, approvalFromRow } from '../approvals/approval.js';
import type { ApprovalService } from '../approvals/approval-service.js';
import { lockApproval } from '../approvals/approval-store.js';
import { currentStage, initiatorOf } from '../approvals/stage-routing.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { HumanPrincipal } from '../credentials/principal.js';
import { forbidden, notFound, WardenError } from '../errors.js';
import { type Storage, writeTransaction } from '../storage/database.js';
import { type MintedProof, mintProof } from './reauth-proofs.js';
import type { ReauthSecrets } from './reauth-secret.js';
import type { StepUpConfirmation, StepUpRequests } from './step-up-requests.js';

export interface StepUpServiceDeps {
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly approvals: ApprovalService;
  readonly secrets: ReauthSecrets;
  readonly requests: StepUpRequests;
  readonly clock: () => number;
  /** How long a minted proof may be used (`WARDEN_REAUTH_TTL_SECONDS`). */
  readonly proofTtlSeconds: number;
}

/**
 * The routes' side of step-up re-authentication: minting a proof for a human who presents their
 * re-authentication secret again, and turning a product's verified confirmation into the
 * initiator's vote.
 */
export class StepUpService {
  constructor(private readonly deps: StepUpServiceDeps) {}

  /**
   * Checks the human's secret (outside any transaction: a wrong one is counted), then mints a
   * proof bound to the request, its action digest and the human. Only the initiator of a pending
   * request whose current step asks them to re-authenticate gets one.
   */
  async mint(
    principal: HumanPrincipal,
    approvalId: string,
    secret: string,
  ): Promise<MintedProof & { approvalId: string }> {
    const { storage, clock } = this.deps;
    const { tenantId, humanId } = principal;
    const before = await this.pendingStep(tenantId, approvalId);
    this.checkAsked(before, humanId);
    await this.deps.secrets.verify(tenantId, humanId, secret);
    const minted = await writeTransaction(storage, async (trx) => {
      const now = clock();
      const request = await lockApproval(trx, storage.dialect, tenantId, approvalId);
      this.checkAsked(request, humanId);
      const proof = await mintProof(
        trx,
        { tenantId, approvalId, actionDigest: request.actionDigest, humanId },
        'reauth_secret',
        now,
        this.deps.proofTtlSeconds * 1000,
      );
      await this.deps.audit.append(trx, tenantId, [
        {
          type: 'approval.reauth',
          actor: { type: 'human', id: humanId },
          subject: { type: 'approval', id: approvalId },
          payload: {
            proofId: proof.id,
            source: 'reauth_secret',
            expiresAt: new Date(proof.expiresAt).toISOString(),
          },
          at: now,
        },
      ]);
      return proof;
    });
    return { ...minted, approvalId };
  }

  /** A product's confirmation, verified, becomes the initiator's vote (the request is used up with it). */
  async confirm(
    rawBody: string,
    signature: string | undefined,
    confirmation: StepUpConfirmation,
  ): Promise<ApprovalRequest> {
    const verified = await this.deps.requests.verify(rawBody, signature, confirmation);
    return this.deps.approvals.confirmStepUp(
      verified.tenantId,
      verified.approvalId,
      verified,
      confirmation.verdict,
      confirmation.comment,
      (trx, now) => this.deps.requests.use(trx, verified.requestId, now),
    );
  }

  private async pendingStep(tenantId: string, approvalId: string): Promise<ApprovalRequest> {
    const row = await this.deps.storage.db
      .selectFrom('approval_requests')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', approvalId)
      .executeTakeFirst();
    if (!row) throw notFound('approval request', approvalId);
    return approvalFromRow(row);
  }

  private checkAsked(request: ApprovalRequest, humanId: string): void {
    if (request.status !== 'pending') {
      throw new WardenError('conflict', `approval request ${request.id} is already ${request.status}`, {
        status: request.status,
      });
    }
    const asks = currentStage(request).approvers.some((a) => a.kind === 'initiator' && a.reauth);
    if (!asks) throw forbidden(`the current step of ${request.id} does not ask anyone to re-authenticate`);
    if (initiatorOf(request) !== humanId) {
      throw forbidden(`only the initiator of ${request.id} re-authenticates for it`);
    }
  }
}
