import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, StrictObject } from '../../http/schemas.js';
import { tokenJson } from '../json.js';
import { HumanParams, TokenSchema } from '../schemas.js';
import { ANY_HUMAN, type TenantRouteServices } from './common.js';

const Body = StrictObject({
  name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }),
  expiresInSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 31_536_000 })),
});

export function registerCreateToken(app: App, services: TenantRouteServices) {
  app.post(
    '/v1/humans/:id/tokens',
    {
      // Admins or the human themself; checked by the service.
      config: { auth: ANY_HUMAN },
      schema: {
        tags: ['tokens'],
        summary: 'Issue an API token to a human',
        description: 'The secret (wdn_u_...) is in this response only; Warden stores its hash.',
        params: HumanParams,
        body: Body,
        response: {
          201: Type.Object({ token: TokenSchema, secret: Type.String() }),
          ...errorResponses(404, 409),
        },
      },
    },
    async (request, reply) => {
      const { token, secret } = await services.tokens.issue(
        humanOf(request),
        request.params.id,
        request.body,
      );
      return reply.status(201).send({ token: tokenJson(token), secret });
    },
  );
}
