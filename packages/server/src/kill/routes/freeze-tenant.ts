import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, StrictObject } from '../../http/schemas.js';
import type { KillService } from '../kill-service.js';
import { CancelledApprovals, freezeJson, Reason, TenantFreezeSchema } from './kill-schemas.js';

/**
 * POST /v1/kill/tenant: freezes the caller's tenant. Every decision is denied (`tenant_frozen`) on
 * every node and every pending approval is cancelled. Admin or security; the reason is required.
 */
export function registerFreezeTenant(app: App, kill: KillService): void {
  app.post(
    '/v1/kill/tenant',
    {
      config: { auth: { kind: 'human', roles: ['security'] } },
      schema: {
        tags: ['kill'],
        summary: 'Kill switch: freeze the whole tenant (admin, security)',
        body: StrictObject({ reason: Reason }),
        response: {
          200: Type.Object({
            tenant: TenantFreezeSchema,
            changed: Type.Boolean(),
            cancelledApprovals: CancelledApprovals,
          }),
          ...errorResponses(404),
        },
      },
    },
    async (request) => {
      const principal = humanOf(request);
      const result = await kill.freezeTenant(
        { type: 'human', id: principal.humanId },
        principal.tenantId,
        request.body.reason,
      );
      return {
        tenant: freezeJson(principal.tenantId, result.freeze),
        changed: result.changed,
        cancelledApprovals: result.cancelled.map((r) => r.id),
      };
    },
  );
}
