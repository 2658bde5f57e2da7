import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { agentOf } from '../../http/auth.js';
import { errorResponses, IdOf, IsoTime, StrictObject, toIso } from '../../http/schemas.js';
import type { OutcomeService } from '../outcome-service.js';

const OutcomeBody = StrictObject({
  status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
  output: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.String({ maxLength: 10_000 })),
  costUsd: Type.Optional(Type.Number({ minimum: 0, maximum: 1_000_000 })),
  tokens: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e12 })),
  records: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e12 })),
  durationMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 * 30 })),
});

const OutcomeResponse = Type.Object({
  decisionId: Type.String(),
  status: Type.String(),
  violation: Type.Boolean(),
  reportedAt: IsoTime,
});

/** `POST /v1/decisions/:id/outcome`: the agent reports what happened, so the audit keeps outcomes. */
export function registerReportOutcomeRoute(app: App, service: OutcomeService) {
  app.post(
    '/v1/decisions/:id/outcome',
    {
      config: { auth: { kind: 'agent' } },
      schema: {
        tags: ['decisions'],
        summary: 'Report the outcome of a decided call',
        params: Type.Object({ id: IdOf('dec') }),
        body: OutcomeBody,
        response: { 200: OutcomeResponse, ...errorResponses(404, 409, 413, 503) },
      },
    },
    async (request) => {
      const recorded = await service.report(agentOf(request), request.params.id, request.body);
      return {
        decisionId: recorded.decisionId,
        status: recorded.status,
        violation: recorded.violation,
        reportedAt: toIso(recorded.reportedAt),
      };
    },
  );
}
