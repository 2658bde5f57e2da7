import { Type } from 'typebox';
import { ApprovalParams } from '../../approvals/routes/approval-schemas.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IsoTime, StrictObject } from '../../http/schemas.js';
import { MAX_SECRET_CHARS } from '../reauth-secret.js';
import type { StepUpService } from '../step-up-service.js';

const Body = StrictObject({ secret: Type.String({ minLength: 1, maxLength: MAX_SECRET_CHARS }) });

/**
 * POST /v1/approvals/:id/reauth: the initiator presents their re-authentication secret again and
 * gets a short-lived, single-use proof for this request and its arguments, to send with the approval.
 */
export function registerReauthApproval(app: App, service: StepUpService): void {
  app.post(
    '/v1/approvals/:id/reauth',
    {
      config: { auth: { kind: 'human', decides: true } },
      schema: {
        tags: ['approvals'],
        summary: 'Re-authenticate to approve a step that asks for it',
        description:
          'Checks the caller’s re-authentication secret and answers a proof bound to this request, its action digest and the caller, valid for WARDEN_REAUTH_TTL_SECONDS and usable once: send it as `reauthProof` to POST /v1/approvals/:id/approve. Wrong secrets count towards a lockout.',
        params: ApprovalParams,
        body: Body,
        response: {
          201: Type.Object({
            reauth: Type.Object({
              proof: Type.String(),
              proofId: Type.String(),
              approvalId: Type.String(),
              expiresAt: IsoTime,
            }),
          }),
          ...errorResponses(404, 409, 429),
        },
      },
    },
    async (request, reply) => {
      const minted = await service.mint(humanOf(request), request.params.id, request.body.secret);
      reply.code(201);
      return {
        reauth: {
          proof: minted.proof,
          proofId: minted.id,
          approvalId: minted.approvalId,
          expiresAt: new Date(minted.expiresAt).toISOString(),
        },
      };
    },
  );
}
