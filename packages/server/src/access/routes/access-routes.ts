import { Type } from 'typebox';
import type { ApprovalReader } from '../../approvals/approval-reader.js';
import { approvalJson } from '../../approvals/approval-view.js';
import { ApprovalSchema } from '../../approvals/routes/approval-schemas.js';
import type { App } from '../../http/app.js';
import { agentOf, humanOf } from '../../http/auth.js';
import { errorResponses, IdOf, IsoTime, NullableIsoTime, StrictObject, toIso } from '../../http/schemas.js';
import type { AccessService } from '../access-service.js';
import type { Grant, GrantService } from '../grant-service.js';

export const ToolPattern = Type.String({
  pattern: '^[A-Za-z0-9_*][A-Za-z0-9_.:/*-]{0,199}$',
  description: 'a tool name or glob',
});

const Body = StrictObject({
  tools: Type.Array(ToolPattern, { minItems: 1, maxItems: 50 }),
  justification: Type.String({ minLength: 1, maxLength: 2000 }),
  durationSeconds: Type.Integer({ minimum: 60 }),
});

const GrantSchema = Type.Object({
  id: Type.String(),
  agentId: Type.String(),
  tools: Type.Array(Type.String()),
  requestId: Type.String(),
  createdAt: IsoTime,
  expiresAt: IsoTime,
  revokedAt: NullableIsoTime,
});

const AgentParams = Type.Object({ id: IdOf('agt') });

function grantJson(grant: Grant) {
  return {
    ...grant,
    tools: [...grant.tools],
    createdAt: toIso(grant.createdAt),
    expiresAt: toIso(grant.expiresAt),
    revokedAt: toIso(grant.revokedAt),
  };
}

/** Access requests (by an agent for itself, or by a human for an agent) and the grants they yield. */
export function registerAccessRoutes(
  app: App,
  access: AccessService,
  grants: GrantService,
  reader: ApprovalReader,
): void {
  app.post(
    '/v1/access-requests',
    {
      config: { auth: { kind: 'agent' } },
      schema: {
        tags: ['access'],
        summary: 'Ask for access to tools (as the agent)',
        body: Body,
        response: {
          201: Type.Object({
            id: Type.String(),
            status: Type.String(),
            deadline: IsoTime,
            links: Type.Object({ wait: Type.String() }),
          }),
          ...errorResponses(409),
        },
      },
    },
    async (request, reply) => {
      const approval = await access.request(agentOf(request), request.body);
      return reply.status(201).send({
        id: approval.id,
        status: approval.status,
        deadline: toIso(approval.deadlineAt),
        links: { wait: `/v1/approvals/${approval.id}/wait` },
      });
    },
  );

  app.post(
    '/v1/agents/:id/access-requests',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['access'],
        summary: 'Ask for access to tools for an agent (owner, admin or security)',
        params: AgentParams,
        body: Body,
        response: { 201: ApprovalSchema, ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => {
      const principal = humanOf(request);
      const approval = await access.request(principal, { ...request.body, agentId: request.params.id });
      const view = await reader.get(principal, approval.id);
      return reply.status(201).send(approvalJson(view, { self: `/v1/approvals/${approval.id}` }));
    },
  );

  app.get(
    '/v1/agents/:id/grants',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['access'],
        summary: "An agent's temporary grants",
        params: AgentParams,
        querystring: Type.Object({ all: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 200: Type.Object({ grants: Type.Array(GrantSchema) }), ...errorResponses(404) },
      },
    },
    async (request) => ({
      grants: (await grants.list(humanOf(request), request.params.id, request.query.all ?? false)).map(
        grantJson,
      ),
    }),
  );

  app.delete(
    '/v1/agents/:id/grants/:grantId',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['access'],
        summary: 'Revoke a temporary grant now',
        params: Type.Object({ id: IdOf('agt'), grantId: IdOf('grt') }),
        response: { 204: Type.Null(), ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => {
      await grants.revoke(humanOf(request), request.params.id, request.params.grantId);
      return reply.status(204).send(null);
    },
  );
}
