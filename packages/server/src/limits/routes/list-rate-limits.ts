import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import type { RateLimitService } from '../rate-limit-service.js';
import { RateLimitSchema, rateLimitJson } from './rate-limit-schemas.js';

/** GET /v1/rate-limits: the tenant's rules, API and budgets-file ones, by name. */
export function registerListRateLimits(app: App, service: RateLimitService): void {
  app.get(
    '/v1/rate-limits',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['rate-limits'],
        summary: 'List rate limits',
        response: { 200: Type.Object({ rateLimits: Type.Array(RateLimitSchema) }), ...errorResponses() },
      },
    },
    async (request) => {
      const rules = await service.list(humanOf(request).tenantId);
      return { rateLimits: rules.map(rateLimitJson) };
    },
  );
}
