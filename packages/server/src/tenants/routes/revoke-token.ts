import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf } from '../../http/schemas.js';
import { tokenJson } from '../json.js';
import { TokenSchema } from '../schemas.js';
import { ANY_HUMAN, type TenantRouteServices } from './common.js';

export function registerRevokeToken(app: App, services: TenantRouteServices) {
  app.delete(
    '/v1/tokens/:id',
    {
      // Admins or the token's holder; checked by the service.
      config: { auth: ANY_HUMAN },
      schema: {
        tags: ['tokens'],
        summary: 'Revoke a human API token',
        description: 'Refused on the very next request, on every node.',
        params: Type.Object({ id: IdOf('tok') }),
        response: { 200: Type.Object({ token: TokenSchema }), ...errorResponses(404, 409) },
      },
    },
    async (request) => {
      const token = await services.tokens.revoke(humanOf(request), request.params.id);
      return { token: tokenJson(token) };
    },
  );
}
