import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import type { KillService } from '../kill-service.js';
import { freezeJson, TenantFreezeSchema } from './kill-schemas.js';

/** GET /v1/kill/tenant: whether the caller's tenant is frozen, since when, by whom and why. Any human. */
export function registerTenantStatus(app: App, kill: KillService): void {
  app.get(
    '/v1/kill/tenant',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['kill'],
        summary: 'Is the tenant frozen?',
        response: { 200: Type.Object({ tenant: TenantFreezeSchema }), ...errorResponses(404) },
      },
    },
    async (request) => {
      const { tenantId } = humanOf(request);
      return { tenant: freezeJson(tenantId, await kill.freezeOf(tenantId)) };
    },
  );
}
