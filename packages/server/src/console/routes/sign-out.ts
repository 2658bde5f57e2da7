import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { clearSessionCookie } from '../session-cookie.js';
import { type ConsoleRouteServices, SESSION_ONLY } from './console-schemas.js';

export function registerSignOut(app: App, services: ConsoleRouteServices) {
  app.post(
    '/v1/console/sign-out',
    {
      config: { auth: SESSION_ONLY },
      schema: {
        tags: ['console'],
        summary: 'End the console session the cookie carries',
        description: 'Needs X-Warden-CSRF. Sends no body. The cookie is cleared.',
        response: { 204: Type.Null(), ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      await services.sessions.signOut(humanOf(request));
      clearSessionCookie(request, reply, services.httpsPublicUrl);
      return reply.status(204).send(null);
    },
  );
}
