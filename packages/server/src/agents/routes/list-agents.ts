import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf, IsoTime } from '../../http/schemas.js';
import type { AgentService } from '../agent-service.js';
import { AgentSchema, agentJson, EnvironmentName, Risk, RoleName, Status, Tier } from './agent-schemas.js';

const Query = Type.Object(
  {
    owner: Type.Optional(IdOf('usr')),
    status: Type.Optional(Status),
    tier: Type.Optional(Tier),
    risk: Type.Optional(Risk),
    environment: Type.Optional(EnvironmentName),
    role: Type.Optional(RoleName),
    activeSince: Type.Optional(IsoTime),
    inactiveSince: Type.Optional(IsoTime),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    cursor: Type.Optional(IdOf('agt')),
  },
  { additionalProperties: false },
);

const Page = Type.Object({
  agents: Type.Array(AgentSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

/** GET /v1/agents: the inventory, filtered, in id order, a page at a time. */
export function registerListAgents(app: App, agents: AgentService): void {
  app.get(
    '/v1/agents',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['agents'],
        summary: 'List agents',
        querystring: Query,
        response: { 200: Page, ...errorResponses() },
      },
    },
    async (request) => {
      const { activeSince, inactiveSince, limit, ...filter } = request.query;
      const page = await agents.list(humanOf(request).tenantId, {
        ...filter,
        ...(activeSince === undefined ? {} : { activeSince: Date.parse(activeSince) }),
        ...(inactiveSince === undefined ? {} : { inactiveSince: Date.parse(inactiveSince) }),
        limit: limit ?? 100,
      });
      return { agents: page.agents.map(agentJson), nextCursor: page.nextCursor };
    },
  );
}
