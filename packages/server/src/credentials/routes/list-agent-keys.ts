import { Type } from 'typebox';
import { AgentParams } from '../../agents/routes/agent-schemas.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import type { AgentKeyService } from '../agent-keys.js';
import { AgentKeySchema, agentKeyJson } from './key-schemas.js';

const Response = Type.Object({ keys: Type.Array(AgentKeySchema) });

/** GET /v1/agents/:id/keys: every key the agent ever had, revoked ones included; never a secret. */
export function registerListAgentKeys(app: App, keys: AgentKeyService): void {
  app.get(
    '/v1/agents/:id/keys',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['agent keys'],
        summary: "List an agent's keys",
        params: AgentParams,
        response: { 200: Response, ...errorResponses(404) },
      },
    },
    async (request) => {
      const list = await keys.list(humanOf(request).tenantId, request.params.id);
      return { keys: list.map(agentKeyJson) };
    },
  );
}
