import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { absentBodyAsEmpty, errorResponses, IdOf, IsoTime, StrictObject, toIso } from '../../http/schemas.js';
import { ANY_HUMAN, type ConsoleRouteServices } from './console-schemas.js';

const Body = StrictObject({
  humanId: Type.Optional(IdOf('usr')),
});

export function registerCreateSignInLink(app: App, services: ConsoleRouteServices) {
  app.post(
    '/v1/console/sign-in-links',
    {
      // For oneself, or (admins) for any human of the tenant; checked by the service.
      config: { auth: ANY_HUMAN },
      preValidation: absentBodyAsEmpty,
      schema: {
        tags: ['console'],
        summary: 'A one-time console sign-in link',
        description:
          'The code works once, within WARDEN_CONSOLE_SIGN_IN_CODE_SECONDS (10 minutes). It is in the URL fragment, so it never reaches a server log or a referrer.',
        body: Body,
        response: {
          201: Type.Object({
            humanId: IdOf('usr'),
            url: Type.String(),
            code: Type.String(),
            expiresAt: IsoTime,
          }),
          ...errorResponses(404, 409),
        },
      },
    },
    async (request, reply) => {
      const principal = humanOf(request);
      const link = await services.sessions.createLink(
        principal,
        principal.tenantId,
        request.body.humanId ?? principal.humanId,
      );
      return reply.status(201).send({ ...link, expiresAt: toIso(link.expiresAt) });
    },
  );
}
