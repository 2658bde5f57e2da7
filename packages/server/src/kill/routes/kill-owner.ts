import { Type } from 'typebox';
import { agentJson } from '../../agents/routes/agent-schemas.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { absentBodyAsEmpty, errorResponses } from '../../http/schemas.js';
import type { KillService } from '../kill-service.js';
import {
  AgentsSchema,
  CancelledApprovals,
  NO_REASON,
  OptionalReasonBody,
  OwnerSchema,
} from './kill-schemas.js';

const Params = Type.Object({
  humanId: Type.String({
    pattern: '^(usr_[0-9a-hjkmnp-tv-z]{26}|[^@\\s/]{1,200}@[^@\\s/]{1,200})$',
    description: 'the owner: a usr_ id or an e-mail address',
  }),
});

/**
 * POST /v1/kill/owners/:humanId: suspends every active or pending agent of one human, in one
 * transaction, and cancels their pending approvals. Admin or security.
 */
export function registerKillOwner(app: App, kill: KillService): void {
  app.post(
    '/v1/kill/owners/:humanId',
    {
      config: { auth: { kind: 'human', roles: ['security'] } },
      schema: {
        tags: ['kill'],
        summary: 'Kill switch: suspend every agent of one owner (admin, security)',
        params: Params,
        body: OptionalReasonBody,
        response: {
          200: Type.Object({
            owner: OwnerSchema,
            suspended: AgentsSchema,
            cancelledApprovals: CancelledApprovals,
          }),
          ...errorResponses(404),
        },
      },
      preValidation: absentBodyAsEmpty,
    },
    async (request) => {
      const principal = humanOf(request);
      const result = await kill.suspendOwner(
        { type: 'human', id: principal.humanId },
        principal.tenantId,
        request.params.humanId,
        request.body.reason ?? NO_REASON,
      );
      return {
        owner: { ...result.owner },
        suspended: result.suspended.map(agentJson),
        cancelledApprovals: result.cancelled.map((r) => r.id),
      };
    },
  );
}
