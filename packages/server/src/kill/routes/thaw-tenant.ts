import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import type { KillService } from '../kill-service.js';
import { freezeJson, TenantFreezeSchema } from './kill-schemas.js';

/**
 * DELETE /v1/kill/tenant: lifts a freeze (admin only: security may stop everything, but only an admin
 * starts it again). Agents suspended one by one stay suspended.
 */
export function registerThawTenant(app: App, kill: KillService): void {
  app.delete(
    '/v1/kill/tenant',
    {
      config: { auth: { kind: 'human', roles: [] } },
      schema: {
        tags: ['kill'],
        summary: 'Lift a tenant freeze (admin)',
        response: {
          200: Type.Object({ tenant: TenantFreezeSchema, changed: Type.Boolean() }),
          ...errorResponses(404),
        },
      },
    },
    async (request) => {
      const principal = humanOf(request);
      const result = await kill.thawTenant({ type: 'human', id: principal.humanId }, principal.tenantId);
      return { tenant: freezeJson(principal.tenantId, result.freeze), changed: result.changed };
    },
  );
}
