import { Type } from 'typebox';
import { AgentParams } from '../../agents/routes/agent-schemas.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { absentBodyAsEmpty, errorResponses, StrictObject } from '../../http/schemas.js';
import type { AgentKeyService } from '../agent-keys.js';
import { IssuedKeySchema, issuedKeyJson } from './key-schemas.js';

const Body = StrictObject({
  expiresInSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 31_536_000 })),
  rotate: Type.Optional(StrictObject({ overlapSeconds: Type.Integer({ minimum: 0, maximum: 604_800 }) })),
});

const Created = Type.Object({ key: IssuedKeySchema, secret: Type.String() });

/** POST /v1/agents/:id/keys: a new key (secret shown once); with `rotate`, the old keys wind down. */
export function registerCreateAgentKey(app: App, keys: AgentKeyService): void {
  app.post(
    '/v1/agents/:id/keys',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['agent keys'],
        summary: 'Issue or rotate an agent key (admin, security, or the owner)',
        params: AgentParams,
        body: Body,
        response: { 201: Created, ...errorResponses(404, 409) },
      },
      preValidation: absentBodyAsEmpty,
    },
    async (request, reply) => {
      const key = await keys.issue(humanOf(request), request.params.id, request.body);
      return reply.status(201).send({ key: issuedKeyJson(key), secret: key.secret });
    },
  );
}
