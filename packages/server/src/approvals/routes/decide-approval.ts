import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { absentBodyAsEmpty, errorResponses, StrictObject } from '../../http/schemas.js';
import type { ApprovalReader } from '../approval-reader.js';
import type { ApprovalService } from '../approval-service.js';
import { approvalJson } from '../approval-view.js';
import { ApprovalParams, ApprovalSchema, Comment } from './approval-schemas.js';

const Body = StrictObject({ comment: Type.Optional(Comment) });

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
        },
        preValidation: absentBodyAsEmpty,
      },
      async (request) => {
        const principal = humanOf(request);
        await service.vote(principal, request.params.id, verdict, request.body.comment);
        const view = await reader.get(principal, request.params.id);
        return approvalJson(view, { self: `/v1/approvals/${view.request.id}` });
      },
    );
  }
}
