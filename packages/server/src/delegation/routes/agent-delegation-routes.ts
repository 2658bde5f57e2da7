import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { agentOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import type { DelegationService } from '../delegation-service.js';
import {
  DelegationList,
  DelegationSchema,
  delegationJson,
  GrantBody,
  GrantParams,
  ListQuery,
} from './delegation-schemas.js';

/** The delegating agent's side, with its own key: grant, list, revoke. */
export function registerAgentDelegationRoutes(app: App, service: DelegationService): void {
  app.post(
    '/v1/delegations',
    {
      config: { auth: { kind: 'agent' } },
      schema: {
        tags: ['delegations'],
        summary: 'Let another agent act for this one (agent key; the caller is the delegator)',
        body: GrantBody,
        response: { 201: DelegationSchema, ...errorResponses() },
      },
    },
    async (request, reply) =>
      reply.status(201).send(delegationJson(await service.grant(agentOf(request), request.body))),
  );

  app.get(
    '/v1/delegations',
    {
      config: { auth: { kind: 'agent' } },
      schema: {
        tags: ['delegations'],
        summary: 'Delegation grants this agent gave or received',
        querystring: ListQuery,
        response: { 200: DelegationList, ...errorResponses() },
      },
    },
    async (request) => ({
      delegations: (await service.listOwn(agentOf(request), request.query.all ?? false)).map(delegationJson),
    }),
  );

  app.delete(
    '/v1/delegations/:id',
    {
      config: { auth: { kind: 'agent' } },
      schema: {
        tags: ['delegations'],
        summary: 'Revoke a delegation grant this agent gave',
        params: GrantParams,
        response: { 204: Type.Null(), ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => {
      await service.revokeAsDelegator(agentOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
