import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import type { RateLimitService } from '../rate-limit-service.js';
import { RateLimitParams, RateLimitSchema, rateLimitJson } from './rate-limit-schemas.js';

/** DELETE /v1/rate-limits/:id: removes an API rule; answers it as it was. */
export function registerDeleteRateLimit(app: App, service: RateLimitService): void {
  app.delete(
    '/v1/rate-limits/:id',
    {
      config: { auth: { kind: 'human', roles: ['security'] } },
      schema: {
        tags: ['rate-limits'],
        summary: 'Delete a rate limit (admin, security)',
        description: 'Rules from the budgets file answer 409.',
        params: RateLimitParams,
        response: { 200: Type.Object({ rateLimit: RateLimitSchema }), ...errorResponses(404, 409) },
      },
    },
    async (request) => {
      const rule = await service.remove(humanOf(request), request.params.id);
      return { rateLimit: rateLimitJson(rule) };
    },
  );
}
