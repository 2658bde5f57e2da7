import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { tokenJson } from '../json.js';
import { HumanParams, TokenSchema } from '../schemas.js';
import { ANY_HUMAN, type TenantRouteServices } from './common.js';

export function registerListTokens(app: App, services: TenantRouteServices) {
  app.get(
    '/v1/humans/:id/tokens',
    {
      // Admins or the human themself; checked by the service.
      config: { auth: ANY_HUMAN },
      schema: {
        tags: ['tokens'],
        summary: "A human's API tokens, revoked and expired ones included",
        params: HumanParams,
        response: { 200: Type.Object({ tokens: Type.Array(TokenSchema) }), ...errorResponses(404) },
      },
    },
    async (request) => {
      const tokens = await services.tokens.list(humanOf(request), request.params.id);
      return { tokens: tokens.map(tokenJson) };
    },
  );
}
