import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, StrictObject } from '../../http/schemas.js';
import { humanJson } from '../json.js';
import { HumanSchema, RoleSchema, StatusSchema } from '../schemas.js';
import { ANY_HUMAN, type TenantRouteServices } from './common.js';

const Query = StrictObject({ role: Type.Optional(RoleSchema), status: Type.Optional(StatusSchema) });

export function registerListHumans(app: App, services: TenantRouteServices) {
  app.get(
    '/v1/humans',
    {
      config: { auth: ANY_HUMAN },
      schema: {
        tags: ['humans'],
        summary: "The tenant's humans, optionally by role and status",
        querystring: Query,
        response: { 200: Type.Object({ humans: Type.Array(HumanSchema) }), ...errorResponses() },
      },
    },
    async (request) => {
      const humans = await services.humans.list(humanOf(request).tenantId, request.query);
      return { humans: humans.map(humanJson) };
    },
  );
}
