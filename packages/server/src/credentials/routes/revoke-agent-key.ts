import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf } from '../../http/schemas.js';
import type { AgentKeyService } from '../agent-keys.js';
import { AgentKeySchema, agentKeyJson } from './key-schemas.js';

const Params = Type.Object({ id: IdOf('agt'), keyId: IdOf('key') });
const Response = Type.Object({ key: AgentKeySchema });

/** DELETE /v1/agents/:id/keys/:keyId: the key stops working now, on every node. */
export function registerRevokeAgentKey(app: App, keys: AgentKeyService): void {
  app.delete(
    '/v1/agents/:id/keys/:keyId',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['agent keys'],
        summary: 'Revoke an agent key (admin, security, or the owner)',
        params: Params,
        response: { 200: Response, ...errorResponses(404, 409) },
      },
    },
    async (request) => {
      const key = await keys.revoke(humanOf(request), request.params.id, request.params.keyId);
      return { key: agentKeyJson(key) };
    },
  );
}
