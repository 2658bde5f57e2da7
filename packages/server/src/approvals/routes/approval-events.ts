import type { FastifyBaseLogger } from 'fastify';
import { WardenError } from '../../errors.js';
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
        const current = await reader.forAgent(principal, id).catch((error: unknown) => {
          // The stream stays open: the next change sends the state again.
          logUnexpected(request.log, error, id, 'approval stream: reading the request failed');
          return undefined;
        });
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
          .catch((error: unknown) =>
            logUnexpected(request.log, error, change.approvalId, 'approval feed: reading a request failed'),
          );
      });
    },
  );
}

/**
 * A request this reader may not see (another team's, one that is gone) is no news for its stream;
 * anything else (the database) is a failure worth a line.
 */
function logUnexpected(log: FastifyBaseLogger, error: unknown, approvalId: string, message: string): void {
  if (error instanceof WardenError) return;
  log.warn({ err: error, approvalId }, message);
}
