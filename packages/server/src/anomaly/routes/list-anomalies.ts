import { type Static, Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf, IsoTime, toIso } from '../../http/schemas.js';
import type { AnomalyNotice, AnomalyReader } from '../anomaly-reader.js';

export const AnomalySchema = Type.Object({
  eventId: Type.String(),
  agentId: Type.String(),
  agentName: Type.Union([Type.String(), Type.Null()]),
  kind: Type.Enum(['anomaly', 'breaker_trip']),
  metric: Type.Union([Type.String(), Type.Null()]),
  detail: Type.String(),
  at: IsoTime,
});

export function anomalyJson(notice: AnomalyNotice): Static<typeof AnomalySchema> {
  return { ...notice, at: toIso(notice.at) };
}

/** GET /v1/anomalies: recent anomaly notices and breaker trips, newest first, as far as the caller may read. */
export function registerListAnomalies(app: App, reader: AnomalyReader): void {
  app.get(
    '/v1/anomalies',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['agents'],
        summary: 'Recent anomaly notices',
        querystring: Type.Object(
          {
            agentId: Type.Optional(IdOf('agt')),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ anomalies: Type.Array(AnomalySchema) }), ...errorResponses() },
      },
    },
    async (request) => {
      const { agentId, limit } = request.query;
      const notices = await reader.recent(humanOf(request), {
        ...(agentId === undefined ? {} : { agentId }),
        limit: limit ?? 50,
      });
      return { anomalies: notices.map(anomalyJson) };
    },
  );
}
