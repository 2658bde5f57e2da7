import type { App } from '../../http/app.js';
import { agentOf, humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import type { ApprovalReader } from '../approval-reader.js';
import { agentApprovalJson, approvalJson } from '../approval-view.js';
import type { ApprovalWatch } from '../approval-watch.js';
import { ApprovalParams } from './approval-schemas.js';
import { openEventStream } from './sse.js';

/**
 * GET /v1/approvals/:id/events: the requesting agent's SSE stream. It sends the request's state at
 * once and on every change (`event: approval`), and ends once the request is settled.
 */
export function registerApprovalEvents(app: App, reader: ApprovalReader, watch: ApprovalWatch): void {
  app.get(
    '/v1/approvals/:id/events',
    {
      config: { auth: { kind: 'agent' } },
      schema: {
        tags: ['approvals'],
        summary: 'Stream a request’s state (Server-Sent Events)',
        security: [{ agentKey: [] }],
        params: ApprovalParams,
        response: errorResponses(404),
      },
    },
    async (request, reply) => {
      const principal = agentOf(request);
      const id = request.params.id;
      const first = await reader.forAgent(principal, id);
      let unsubscribe = () => {};
      const stream = openEventStream(reply, () => unsubscribe());
      let last = -1;
      const push = async () => {
        const current = await reader.forAgent(principal, id).catch(() => undefined);
        if (!current || stream.closed || current.version <= last) return;
        last = current.version;
        stream.send('approval', agentApprovalJson(current));
        if (current.status !== 'pending') stream.close();
      };
      unsubscribe = watch.onApproval(id, () => void push());
      last = first.version;
      stream.send('approval', agentApprovalJson(first));
      if (first.status !== 'pending') stream.close();
      else await push();
    },
  );

  /** GET /v1/approvals/stream: a human's live feed of the requests they may see, as they change. */
  app.get(
    '/v1/approvals/stream',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['approvals'],
        summary: 'Live feed of approval requests (Server-Sent Events)',
        response: errorResponses(),
      },
    },
    async (request, reply) => {
      const principal = humanOf(request);
      let unsubscribe = () => {};
      const stream = openEventStream(reply, () => unsubscribe());
      unsubscribe = watch.onTenant(principal.tenantId, (change) => {
        reader
          .get(principal, change.approvalId)
          .then((view) =>
            stream.send('approval', approvalJson(view, { self: `/v1/approvals/${view.request.id}` })),
          )
          .catch(() => {});
      });
    },
  );
}
