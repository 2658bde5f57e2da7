import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { TrustCriteriaSchema } from '../criteria.js';
import type { TrustService } from '../trust-service.js';

const Response = Type.Object({ criteria: TrustCriteriaSchema });

/**
 * GET /v1/trust/criteria: the tenant's promotion criteria and modes (the defaults until set).
 * PUT /v1/trust/criteria: replaces them whole (admin, security), audited as `trust.criteria_update`.
 */
export function registerCriteriaRoutes(app: App, trust: TrustService): void {
  app.get(
    '/v1/trust/criteria',
    {
      config: { auth: { kind: 'human', roles: ['security', 'auditor'] } },
      schema: {
        tags: ['trust'],
        summary: "The tenant's trust-tier criteria",
        response: { 200: Response, ...errorResponses() },
      },
    },
    async (request) => ({ criteria: await trust.criteria(humanOf(request).tenantId) }),
  );

  app.put(
    '/v1/trust/criteria',
    {
      config: { auth: { kind: 'human', roles: ['security'] } },
      schema: {
        tags: ['trust'],
        summary: "Replace the tenant's trust-tier criteria (admin, security)",
        body: TrustCriteriaSchema,
        response: { 200: Response, ...errorResponses() },
      },
    },
    async (request) => ({ criteria: await trust.saveCriteria(humanOf(request), request.body) }),
  );
}
