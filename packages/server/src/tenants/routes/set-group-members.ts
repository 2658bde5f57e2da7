import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, StrictObject } from '../../http/schemas.js';
import { groupJson } from '../json.js';
import { GroupSchema } from '../schemas.js';
import { ADMIN_ONLY, type TenantRouteServices } from './common.js';
import { GroupParams, MemberIds } from './group-schemas.js';

const Body = StrictObject({ members: MemberIds });

export function registerSetGroupMembers(app: App, services: TenantRouteServices) {
  app.put(
    '/v1/groups/:id/members',
    {
      config: { auth: ADMIN_ONLY },
      schema: {
        tags: ['groups'],
        summary: "Replace a group's members",
        description: 'The order given is the on-call order.',
        params: GroupParams,
        body: Body,
        response: { 200: Type.Object({ group: GroupSchema }), ...errorResponses(404) },
      },
    },
    async (request) => {
      const group = await services.groups.setMembers(
        humanOf(request),
        request.params.id,
        request.body.members,
      );
      return { group: groupJson(group) };
    },
  );
}
