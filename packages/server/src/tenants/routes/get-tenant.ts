import { Type } from 'typebox';
import { WardenError } from '../../errors.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { tenantJson } from '../json.js';
import { TenantSchema } from '../schemas.js';
import { findTenantById } from '../tenant-service.js';
import { ANY_HUMAN, type TenantRouteServices } from './common.js';

export function registerGetTenant(app: App, services: TenantRouteServices) {
  app.get(
    '/v1/tenant',
    {
      config: { auth: ANY_HUMAN },
      schema: {
        tags: ['tenants'],
        summary: "The caller's tenant",
        response: { 200: Type.Object({ tenant: TenantSchema }), ...errorResponses() },
      },
    },
    async (request) => {
      const { tenantId } = humanOf(request);
      const tenant = await findTenantById(services.storage, tenantId);
      if (!tenant) throw new WardenError('internal', `tenant ${tenantId} of a signed-in human is missing`);
      return { tenant: tenantJson(tenant) };
    },
  );
}
