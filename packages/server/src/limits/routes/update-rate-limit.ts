import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf } from '../../http/schemas.js';
import type { RateLimitService } from '../rate-limit-service.js';
import {
  MaxCalls,
  Nullable,
  RateLimitParams,
  RateLimitSchema,
  RuleName,
  rateLimitJson,
  Scope,
  Tier,
  ToolGlob,
  WindowSeconds,
} from './rate-limit-schemas.js';

const Body = Type.Object(
  {
    name: Type.Optional(RuleName),
    scope: Type.Optional(Scope),
    agentId: Type.Optional(Nullable(IdOf('agt'))),
    tier: Type.Optional(Nullable(Tier)),
    tool: Type.Optional(Nullable(ToolGlob)),
    maxCalls: Type.Optional(MaxCalls),
    windowSeconds: Type.Optional(WindowSeconds),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** PATCH /v1/rate-limits/:id: changes an API rule; counters carry on under the new limit. */
export function registerUpdateRateLimit(app: App, service: RateLimitService): void {
  app.patch(
    '/v1/rate-limits/:id',
    {
      config: { auth: { kind: 'human', roles: ['security'] } },
      schema: {
        tags: ['rate-limits'],
        summary: 'Change a rate limit (admin, security)',
        description: 'null clears agentId, tier or tool. Rules from the budgets file answer 409.',
        params: RateLimitParams,
        body: Body,
        response: { 200: Type.Object({ rateLimit: RateLimitSchema }), ...errorResponses(404, 409) },
      },
    },
    async (request) => {
      const rule = await service.update(humanOf(request), request.params.id, request.body);
      return { rateLimit: rateLimitJson(rule) };
    },
  );
}
