import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf } from '../../http/schemas.js';
import { clearSessionCookie } from '../session-cookie.js';
import { ANY_HUMAN, type ConsoleRouteServices, SessionSchema, sessionJson } from './console-schemas.js';

export function registerRevokeSession(app: App, services: ConsoleRouteServices) {
  app.delete(
    '/v1/console/sessions/:id',
    {
      // The session's human or an admin; checked by the service.
      config: { auth: ANY_HUMAN },
      schema: {
        tags: ['console'],
        summary: 'Revoke a console session',
        description: 'Refused on its very next request, on every node.',
        params: Type.Object({ id: IdOf('ses') }),
        response: { 200: Type.Object({ session: SessionSchema }), ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => {
      const principal = humanOf(request);
      const session = await services.sessions.revoke(principal, request.params.id);
      if (session.id === principal.sessionId) clearSessionCookie(request, reply, services.httpsPublicUrl);
      return { session: sessionJson(session) };
    },
  );
}
