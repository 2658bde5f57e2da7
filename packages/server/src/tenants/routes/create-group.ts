import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, StrictObject } from '../../http/schemas.js';
import { groupJson } from '../json.js';
import { GroupSchema } from '../schemas.js';
import { ADMIN_ONLY, type TenantRouteServices } from './common.js';
import { GroupName, MemberIds } from './group-schemas.js';

const Body = StrictObject({
  name: GroupName,
  onCall: Type.Optional(Type.Boolean({ description: 'The order of members is an on-call rotation' })),
  members: Type.Optional(MemberIds),
});

export function registerCreateGroup(app: App, services: TenantRouteServices) {
  app.post(
    '/v1/groups',
    {
      config: { auth: ADMIN_ONLY },
      schema: {
        tags: ['groups'],
        summary: 'Create a group of humans',
        body: Body,
        response: { 201: Type.Object({ group: GroupSchema }), ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const group = await services.groups.create(humanOf(request), request.body);
      return reply.status(201).send({ group: groupJson(group) });
    },
  );
}
