import { Type } from 'typebox';
import { WardenError } from '../../errors.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { humanJson, tenantJson } from '../json.js';
import { HumanSchema, TenantSchema } from '../schemas.js';
import { findTenantById } from '../tenant-service.js';
import { ANY_HUMAN, type TenantRouteServices } from './common.js';

export function registerGetMe(app: App, services: TenantRouteServices) {
  app.get(
    '/v1/me',
    {
      config: { auth: ANY_HUMAN },
      schema: {
        tags: ['humans'],
        summary: 'The calling human and their tenant',
        response: { 200: Type.Object({ human: HumanSchema, tenant: TenantSchema }), ...errorResponses() },
      },
    },
    async (request) => {
      const principal = humanOf(request);
      const human = await services.humans.get(principal.tenantId, principal.humanId);
      const tenant = await findTenantById(services.storage, principal.tenantId);
      if (!tenant)
        throw new WardenError('internal', `tenant ${principal.tenantId} of a signed-in human is missing`);
      return { human: humanJson(human), tenant: tenantJson(tenant) };
    },
  );
}
