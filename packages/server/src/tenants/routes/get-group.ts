import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { groupJson } from '../json.js';
import { GroupSchema } from '../schemas.js';
import { ANY_HUMAN, type TenantRouteServices } from './common.js';
import { GroupParams } from './group-schemas.js';

export function registerGetGroup(app: App, services: TenantRouteServices) {
  app.get(
    '/v1/groups/:id',
    {
      config: { auth: ANY_HUMAN },
      schema: {
        tags: ['groups'],
        summary: 'One group with its members in on-call order',
        params: GroupParams,
        response: { 200: Type.Object({ group: GroupSchema }), ...errorResponses(404) },
      },
    },
    async (request) => {
      const group = await services.groups.get(humanOf(request).tenantId, request.params.id);
      return { group: groupJson(group) };
    },
  );
}
