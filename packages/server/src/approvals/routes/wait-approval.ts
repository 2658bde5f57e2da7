import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { agentOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { parentFromHeaders, type Telemetry } from '../../telemetry/telemetry.js';
import { endSpan, SpanKind } from '../../telemetry/tracing.js';
import { type ApprovalReader, MAX_WAIT_SECONDS } from '../approval-reader.js';
import { agentApprovalJson } from '../approval-view.js';
import { AgentApprovalSchema, ApprovalParams } from './approval-schemas.js';

const Query = Type.Object(
  { timeoutSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_WAIT_SECONDS })) },
  { additionalProperties: false },
);

/**
 * GET /v1/approvals/:id/wait: the requesting agent's long-poll. Answers the moment a human decides
 * (on any node), or after `timeoutSeconds` (default 30, at most 60) with `timedOut: true`.
 */
export function registerWaitApproval(app: App, reader: ApprovalReader, telemetry?: Telemetry): void {
  app.get(
    '/v1/approvals/:id/wait',
    {
      config: { auth: { kind: 'agent' } },
      schema: {
        tags: ['approvals'],
        summary: 'Wait for a decision (long-poll)',
        params: ApprovalParams,
        querystring: Query,
        response: {
          200: Type.Object({ approval: AgentApprovalSchema, timedOut: Type.Boolean() }),
          ...errorResponses(404),
        },
      },
    },
    async (request, reply) => {
      const abort = new AbortController();
      // A caller that hangs up stops the wait (the response closes before it was sent).
      reply.raw.once('close', () => abort.abort());
      const span = telemetry?.start(
        'approval_wait',
        SpanKind.SERVER,
        { 'warden.approval.id': request.params.id },
        parentFromHeaders(request.headers),
      );
      try {
        const { request: approval, timedOut } = await reader.wait(
          agentOf(request),
          request.params.id,
          request.query.timeoutSeconds ?? 30,
          abort.signal,
        );
        span?.setAttributes({
          'warden.approval.status': approval.status,
          'warden.approval.timed_out': timedOut,
        });
        if (span) endSpan(span);
        return { approval: agentApprovalJson(approval), timedOut };
      } catch (error) {
        if (span) endSpan(span, (error as { code?: string }).code ?? 'error');
        throw error;
      }
    },
  );
}
