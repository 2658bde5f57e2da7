import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import type { AgentService } from '../agent-service.js';
import { AgentParams, AgentSchema, agentJson } from './agent-schemas.js';

const Response = Type.Object({ agent: AgentSchema, children: Type.Array(Type.String()) });

/** GET /v1/agents/:id: one agent and the ids of the agents it spawned. */
export function registerGetAgent(app: App, agents: AgentService): void {
  app.get(
    '/v1/agents/:id',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['agents'],
        summary: 'Get an agent',
        params: AgentParams,
        response: { 200: Response, ...errorResponses(404) },
      },
    },
    async (request) => {
      const { agent, children } = await agents.get(humanOf(request).tenantId, request.params.id);
      return { agent: agentJson(agent), children };
    },
  );
}
