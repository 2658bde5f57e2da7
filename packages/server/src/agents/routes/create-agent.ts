import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf, IsoTime, StrictObject } from '../../http/schemas.js';
import type { AgentService } from '../agent-service.js';
import {
  AgentCreatedSchema,
  AgentName,
  agentCreatedJson,
  Environments,
  Labels,
  MaxChildren,
  Purpose,
  Risk,
  Roles,
  RollbackUrl,
} from './agent-schemas.js';

const Body = StrictObject({
  name: AgentName,
  ownerId: IdOf('usr'),
  purpose: Purpose,
  risk: Risk,
  environments: Environments,
  roles: Type.Optional(Roles),
  labels: Type.Optional(Labels),
  maxChildren: Type.Optional(MaxChildren),
  recertifyAt: Type.Optional(IsoTime),
  rollbackUrl: Type.Optional(RollbackUrl),
});

/** POST /v1/agents: registers an agent and issues its first key, whose secret is shown only here. */
export function registerCreateAgent(app: App, agents: AgentService): void {
  app.post(
    '/v1/agents',
    {
      config: { auth: { kind: 'human', roles: ['owner'] } },
      schema: {
        tags: ['agents'],
        summary: 'Register an agent',
        body: Body,
        response: { 201: AgentCreatedSchema, ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const { recertifyAt, ...input } = request.body;
      const { agent, key } = await agents.create(humanOf(request), {
        ...input,
        ...(recertifyAt === undefined ? {} : { recertifyAt: Date.parse(recertifyAt) }),
      });
      return reply.status(201).send(agentCreatedJson(agent, key));
    },
  );
}
