import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf, StrictObject } from '../../http/schemas.js';
import type { RateLimitService } from '../rate-limit-service.js';
import {
  MaxCalls,
  Nullable,
  RateLimitSchema,
  RuleName,
  rateLimitJson,
  Scope,
  Tier,
  ToolGlob,
  WindowSeconds,
} from './rate-limit-schemas.js';

const Body = StrictObject({
  name: RuleName,
  scope: Scope,
  agentId: Type.Optional(Nullable(IdOf('agt'))),
  tier: Type.Optional(Nullable(Tier)),
  tool: Type.Optional(Nullable(ToolGlob)),
  maxCalls: MaxCalls,
  windowSeconds: WindowSeconds,
});

/** POST /v1/rate-limits: a new sliding-window limit; it applies from the next call on every node. */
export function registerCreateRateLimit(app: App, service: RateLimitService): void {
  app.post(
    '/v1/rate-limits',
    {
      config: { auth: { kind: 'human', roles: ['security'] } },
      schema: {
        tags: ['rate-limits'],
        summary: 'Create a rate limit (admin, security)',
        description:
          'scope agent counts all calls of an agent, task all calls of one task, tool the calls of each tool matching `tool` per agent. A rule for one agent (agentId) overrides tier and every-agent rules of the same scope and tool; a tier rule overrides every-agent rules.',
        body: Body,
        response: { 201: Type.Object({ rateLimit: RateLimitSchema }), ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const rule = await service.create(humanOf(request), request.body);
      return reply.status(201).send({ rateLimit: rateLimitJson(rule) });
    },
  );
}
