import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { groupJson } from '../json.js';
import { GroupSchema } from '../schemas.js';
import { ADMIN_ONLY, type TenantRouteServices } from './common.js';
import { GroupParams } from './group-schemas.js';

export function registerDeleteGroup(app: App, services: TenantRouteServices) {
  app.delete(
    '/v1/groups/:id',
    {
      config: { auth: ADMIN_ONLY },
      schema: {
        tags: ['groups'],
        summary: 'Delete a group',
        description: 'Answers the group as it was.',
        params: GroupParams,
        response: { 200: Type.Object({ group: GroupSchema }), ...errorResponses(404) },
      },
    },
    async (request) => {
      const group = await services.groups.delete(humanOf(request), request.params.id);
      return { group: groupJson(group) };
    },
  );
}
