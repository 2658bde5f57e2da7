import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { agentOf } from '../../http/auth.js';
import { errorResponses, StrictObject } from '../../http/schemas.js';
import type { AgentSpawner } from '../agent-spawn.js';
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
} from './agent-schemas.js';

const Body = StrictObject({
  name: AgentName,
  purpose: Purpose,
  roles: Type.Optional(Roles),
  environments: Type.Optional(Environments),
  risk: Type.Optional(Risk),
  labels: Type.Optional(Labels),
  maxChildren: Type.Optional(MaxChildren),
});

/** POST /v1/agents/spawn: the calling agent registers a sub-agent that holds no more than it does. */
export function registerSpawnAgent(app: App, spawner: AgentSpawner): void {
  app.post(
    '/v1/agents/spawn',
    {
      config: { auth: { kind: 'agent' } },
      schema: {
        tags: ['agents'],
        summary: 'Spawn a sub-agent (agent key)',
        body: Body,
        response: { 201: AgentCreatedSchema, ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const { agent, key } = await spawner.spawn(agentOf(request), request.body);
      return reply.status(201).send(agentCreatedJson(agent, key));
    },
  );
}
