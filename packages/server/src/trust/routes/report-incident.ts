import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf, IsoTime, StrictObject, toIso } from '../../http/schemas.js';
import { INCIDENT_SEVERITIES } from '../../incidents/record-incident.js';
import type { TrustService } from '../trust-service.js';

const Body = StrictObject({
  agentId: IdOf('agt'),
  severity: Type.Enum([...INCIDENT_SEVERITIES], {
    description: 'critical demotes the agent by one trust tier at once and blocks its promotion.',
  }),
  summary: Type.String({ minLength: 1, maxLength: 2000 }),
});

const Response = Type.Object({
  incident: Type.Object({
    id: Type.String(),
    agentId: Type.String(),
    severity: Type.String(),
    createdAt: IsoTime,
  }),
  demotion: Type.Union([Type.Object({ from: Type.String(), to: Type.String() }), Type.Null()]),
});

/**
 * POST /v1/incidents: admin or security report an incident of an agent (a security incident,
 * behaviour that needed a human to step in). A critical one demotes the agent at once.
 */
export function registerReportIncident(app: App, trust: TrustService): void {
  app.post(
    '/v1/incidents',
    {
      config: { auth: { kind: 'human', roles: ['security'] } },
      schema: {
        tags: ['trust'],
        summary: 'Report an incident of an agent (admin, security)',
        body: Body,
        response: { 201: Response, ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      const result = await trust.reportIncident(humanOf(request), request.body);
      reply.code(201);
      return {
        incident: {
          id: result.incidentId,
          agentId: request.body.agentId,
          severity: request.body.severity,
          createdAt: toIso(result.createdAt),
        },
        demotion: result.demotion ? { from: result.demotion.from, to: result.demotion.to } : null,
      };
    },
  );
}
