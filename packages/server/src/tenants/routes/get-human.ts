import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf } from '../../http/schemas.js';
import { humanJson } from '../json.js';
import { HumanParams, HumanSchema } from '../schemas.js';
import { ANY_HUMAN, type TenantRouteServices } from './common.js';

const Response = Type.Object({
  human: HumanSchema,
  groups: Type.Array(Type.Object({ id: IdOf('grp'), name: Type.String() })),
});

export function registerGetHuman(app: App, services: TenantRouteServices) {
  app.get(
    '/v1/humans/:id',
    {
      config: { auth: ANY_HUMAN },
      schema: {
        tags: ['humans'],
        summary: 'One human and the groups they belong to',
        params: HumanParams,
        response: { 200: Response, ...errorResponses(404) },
      },
    },
    async (request) => {
      const { tenantId } = humanOf(request);
      const human = await services.humans.get(tenantId, request.params.id);
      const groups = await services.humans.groupsOf(tenantId, human.id);
      return { human: humanJson(human), groups };
    },
  );
}
