import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { absentBodyAsEmpty, errorResponses, StrictObject } from '../../http/schemas.js';
import type { ApprovalReader } from '../approval-reader.js';
import type { ApprovalService } from '../approval-service.js';
import { approvalJson } from '../approval-view.js';
import { ApprovalParams, ApprovalSchema, Comment } from './approval-schemas.js';

const Body = StrictObject({
  comment: Type.Optional(Comment),
  /** From POST /v1/approvals/:id/reauth, when the step asks the initiator to re-authenticate. */
  reauthProof: Type.Optional(Type.String({ maxLength: 100 })),
});

/**
 * POST /v1/approvals/:id/approve and /deny: one human's decision. The first decision that settles
 * a request wins; later ones get 409. Separation-of-duties refusals carry `separation_of_duties`.
 */
export function registerDecideApproval(app: App, service: ApprovalService, reader: ApprovalReader): void {
  for (const verdict of ['approve', 'deny'] as const) {
    app.post(
      `/v1/approvals/:id/${verdict}`,
      {
        config: { auth: { kind: 'human', decides: true } },
        schema: {
          tags: ['approvals'],
          summary: verdict === 'approve' ? 'Approve a request' : 'Deny a request',
          params: ApprovalParams,
          body: Body,
          response: { 200: ApprovalSchema, ...errorResponses(404, 409) },
          ...(verdict === 'approve'
            ? {
                description:
                  'A step that asks the initiator to re-authenticate refuses their approval with 403 `reauth_required` unless `reauthProof` (from POST /v1/approvals/:id/reauth) is fresh, unused and minted for this request.',
              }
            : {}),
        },
        preValidation: absentBodyAsEmpty,
      },
      async (request) => {
        const principal = humanOf(request);
        const { comment, reauthProof } = request.body;
        await service.vote(
          principal,
          request.params.id,
          verdict,
          comment,
          reauthProof ? { reauthProof } : {},
        );
        const view = await reader.get(principal, request.params.id);
        return approvalJson(view, { self: `/v1/approvals/${view.request.id}` });
      },
    );
  }
}
