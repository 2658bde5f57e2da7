import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { csrfTokenOf, SESSION_COOKIE } from '../console-secrets.js';
import { type ConsoleRouteServices, SESSION_ONLY, SignedInSchema, signedInJson } from './console-schemas.js';

export function registerGetSession(app: App, services: ConsoleRouteServices) {
  app.get(
    '/v1/console/session',
    {
      config: { auth: SESSION_ONLY },
      schema: {
        tags: ['console'],
        summary: 'The console session the cookie carries, with its CSRF token',
        description: 'What the console reads after a reload: the CSRF token is kept in memory only.',
        response: { 200: SignedInSchema, ...errorResponses() },
      },
    },
    async (request) => {
      const session = await services.sessions.current(humanOf(request));
      // The hook authenticated this very cookie.
      const secret = request.cookies[SESSION_COOKIE] ?? '';
      return signedInJson(services, session, csrfTokenOf(secret));
    },
  );
}
