import { Type } from 'typebox';
import { AgentParams } from '../../agents/routes/agent-schemas.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IsoTime, toIso } from '../../http/schemas.js';
import type { BaselineReader, BaselineView } from '../baseline-reader.js';

const Threshold = Type.Object({ factor: Type.Number(), floor: Type.Number() });

const Response = Type.Object({
  agentId: Type.String(),
  baseline: Type.Union([
    Type.Object({
      callsPerHour: Type.Number(),
      recordsPerHour: Type.Number(),
      costUsdPerHour: Type.Number(),
      samples: Type.Integer(),
      foldedHour: IsoTime,
    }),
    Type.Null(),
  ]),
  ready: Type.Boolean(),
  currentHour: Type.Object({
    hour: IsoTime,
    calls: Type.Number(),
    records: Type.Number(),
    costUsd: Type.Number(),
  }),
  thresholds: Type.Object({ calls: Threshold, records: Threshold, cost: Threshold }),
  breaker: Type.Union([Type.Object({ trippedAt: IsoTime, reason: Type.String() }), Type.Null()]),
});

/** GET /v1/agents/:id/baselines: the agent's hourly baselines and its running hour, for any human. */
export function registerGetBaselines(app: App, reader: BaselineReader): void {
  app.get(
    '/v1/agents/:id/baselines',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['agents'],
        summary: "An agent's usage baselines and its current hour",
        params: AgentParams,
        response: { 200: Response, ...errorResponses(404) },
      },
    },
    async (request) => viewJson(await reader.read(humanOf(request).tenantId, request.params.id)),
  );
}

function viewJson(view: BaselineView) {
  return {
    ...view,
    baseline: view.baseline && { ...view.baseline, foldedHour: toIso(view.baseline.foldedHour) },
    currentHour: { ...view.currentHour, hour: toIso(view.currentHour.hour) },
    breaker: view.breaker && { trippedAt: toIso(view.breaker.trippedAt), reason: view.breaker.reason },
  };
}
