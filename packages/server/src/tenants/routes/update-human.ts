import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { humanJson } from '../json.js';
import { HumanParams, HumanSchema, RoleSchema, StatusSchema } from '../schemas.js';
import { ADMIN_ONLY, type TenantRouteServices } from './common.js';

const Body = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' })),
    roles: Type.Optional(Type.Array(RoleSchema, { minItems: 1, uniqueItems: true })),
    status: Type.Optional(StatusSchema),
  },
  { additionalProperties: false, minProperties: 1 },
);

const Change = Type.Object({ from: Type.Unknown(), to: Type.Unknown() });

export function registerUpdateHuman(app: App, services: TenantRouteServices) {
  app.patch(
    '/v1/humans/:id',
    {
      config: { auth: ADMIN_ONLY },
      schema: {
        tags: ['humans'],
        summary: "Change a human's name, roles or status",
        description:
          'Takes effect on the next request with any of their tokens. The last active admin cannot be disabled or lose the admin role (409).',
        params: HumanParams,
        body: Body,
        response: {
          200: Type.Object({ human: HumanSchema, changes: Type.Record(Type.String(), Change) }),
          ...errorResponses(404, 409),
        },
      },
    },
    async (request) => {
      const { human, changes } = await services.humans.update(
        humanOf(request),
        request.params.id,
        request.body,
      );
      return { human: humanJson(human), changes };
    },
  );
}
