import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { groupJson } from '../json.js';
import { GroupSchema } from '../schemas.js';
import { ANY_HUMAN, type TenantRouteServices } from './common.js';

export function registerListGroups(app: App, services: TenantRouteServices) {
  app.get(
    '/v1/groups',
    {
      config: { auth: ANY_HUMAN },
      schema: {
        tags: ['groups'],
        summary: "The tenant's groups with their members",
        response: { 200: Type.Object({ groups: Type.Array(GroupSchema) }), ...errorResponses() },
      },
    },
    async (request) => {
      const groups = await services.groups.list(humanOf(request).tenantId);
      return { groups: groups.map(groupJson) };
    },
  );
}
