import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf, NullableIsoTime, StrictObject } from '../../http/schemas.js';
import type { AgentService } from '../agent-service.js';
import {
  AgentParams,
  AgentSchema,
  agentJson,
  Environments,
  Labels,
  MaxChildren,
  Purpose,
  Risk,
  Roles,
  RollbackUrl,
  Tier,
} from './agent-schemas.js';

const Body = StrictObject({
  purpose: Type.Optional(Purpose),
  risk: Type.Optional(Risk),
  environments: Type.Optional(Environments),
  roles: Type.Optional(Roles),
  labels: Type.Optional(Labels),
  maxChildren: Type.Optional(MaxChildren),
  ownerId: Type.Optional(IdOf('usr')),
  recertifyAt: Type.Optional(NullableIsoTime),
  tier: Type.Optional(Tier),
  rollbackUrl: Type.Optional(Type.Union([RollbackUrl, Type.Null()])),
});

const Change = Type.Object({ from: Type.Unknown(), to: Type.Unknown() });
const Response = Type.Object({ agent: AgentSchema, changes: Type.Record(Type.String(), Change) });

/** PATCH /v1/agents/:id: changes an agent and answers with exactly what changed. */
export function registerUpdateAgent(app: App, agents: AgentService): void {
  app.patch(
    '/v1/agents/:id',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['agents'],
        summary: 'Change an agent',
        params: AgentParams,
        body: Body,
        response: { 200: Response, ...errorResponses(404, 409) },
      },
    },
    async (request) => {
      const { recertifyAt, ...patch } = request.body;
      const { agent, changes } = await agents.update(humanOf(request), request.params.id, {
        ...patch,
        ...(recertifyAt === undefined
          ? {}
          : { recertifyAt: recertifyAt === null ? null : Date.parse(recertifyAt) }),
      });
      return { agent: agentJson(agent), changes };
    },
  );
}
