import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import type { ApprovalReader } from '../approval-reader.js';
import { approvalJson } from '../approval-view.js';
import { ApprovalParams, ApprovalSchema } from './approval-schemas.js';

/** GET /v1/approvals/:id: everything an approver needs to decide, and who decided what so far. */
export function registerGetApproval(app: App, reader: ApprovalReader): void {
  app.get(
    '/v1/approvals/:id',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['approvals'],
        summary: 'Show an approval request',
        params: ApprovalParams,
        response: { 200: ApprovalSchema, ...errorResponses(404) },
      },
    },
    async (request) => {
      const view = await reader.get(humanOf(request), request.params.id);
      return approvalJson(view, { self: `/v1/approvals/${view.request.id}` });
    },
  );
}
