import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf, IsoTime, toIso } from '../../http/schemas.js';
import type { Storage } from '../../storage/database.js';

const Incident = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  severity: Type.String(),
  agentId: Type.String(),
  approvalId: Type.Union([Type.String(), Type.Null()]),
  decisionId: Type.Union([Type.String(), Type.Null()]),
  summary: Type.String(),
  detail: Type.Record(Type.String(), Type.Unknown()),
  createdAt: IsoTime,
});

/** GET /v1/incidents: recorded failures (rejected or missed reviews), newest first. */
export function registerListIncidents(app: App, storage: Storage): void {
  app.get(
    '/v1/incidents',
    {
      config: { auth: { kind: 'human', roles: ['security', 'auditor'] } },
      schema: {
        tags: ['approvals'],
        summary: 'List incidents',
        querystring: Type.Object(
          {
            agentId: Type.Optional(IdOf('agt')),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ incidents: Type.Array(Incident) }), ...errorResponses() },
      },
    },
    async (request) => {
      let query = storage.db
        .selectFrom('incidents')
        .selectAll()
        .where('tenant_id', '=', humanOf(request).tenantId);
      if (request.query.agentId) query = query.where('agent_id', '=', request.query.agentId);
      const rows = await query
        .orderBy('id', 'desc')
        .limit(request.query.limit ?? 100)
        .execute();
      return {
        incidents: rows.map((r) => ({
          id: r.id,
          kind: r.kind,
          severity: r.severity,
          agentId: r.agent_id,
          approvalId: r.approval_id,
          decisionId: r.decision_id,
          summary: r.summary,
          detail: JSON.parse(r.detail) as Record<string, unknown>,
          createdAt: toIso(r.created_at),
        })),
      };
    },
  );
}
