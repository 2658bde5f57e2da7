import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf } from '../../http/schemas.js';
import type { DelegationService } from '../delegation-service.js';
import { DelegationList, delegationJson, ListQuery } from './delegation-schemas.js';

const AgentParams = Type.Object({ id: IdOf('agt') });

/** The humans' side: see an agent's delegation grants; its owner, admin or security ends one. */
export function registerHumanDelegationRoutes(app: App, service: DelegationService): void {
  app.get(
    '/v1/agents/:id/delegations',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['delegations'],
        summary: 'Delegation grants an agent gave or received',
        params: AgentParams,
        querystring: ListQuery,
        response: { 200: DelegationList, ...errorResponses(404) },
      },
    },
    async (request) => ({
      delegations: (
        await service.listOf(humanOf(request), request.params.id, request.query.all ?? false)
      ).map(delegationJson),
    }),
  );

  app.delete(
    '/v1/agents/:id/delegations/:grantId',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['delegations'],
        summary: 'Revoke a delegation grant (owner of either agent, admin or security)',
        params: Type.Object({ id: IdOf('agt'), grantId: IdOf('dlg') }),
        response: { 204: Type.Null(), ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => {
      await service.revokeAsHuman(humanOf(request), request.params.id, request.params.grantId);
      return reply.status(204).send(null);
    },
  );
}
