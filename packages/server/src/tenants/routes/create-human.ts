import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, StrictObject } from '../../http/schemas.js';
import { humanJson } from '../json.js';
import { HumanSchema, RoleSchema } from '../schemas.js';
import { ADMIN_ONLY, type TenantRouteServices } from './common.js';

const Body = StrictObject({
  email: Type.String({ format: 'email', maxLength: 254 }),
  name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
  roles: Type.Array(RoleSchema, { minItems: 1, uniqueItems: true }),
});

export function registerCreateHuman(app: App, services: TenantRouteServices) {
  app.post(
    '/v1/humans',
    {
      config: { auth: ADMIN_ONLY },
      schema: {
        tags: ['humans'],
        summary: 'Add a human to the tenant',
        body: Body,
        response: { 201: Type.Object({ human: HumanSchema }), ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const human = await services.humans.create(humanOf(request), request.body);
      return reply.status(201).send({ human: humanJson(human) });
    },
  );
}
