import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { ANY_HUMAN, type ConsoleRouteServices, SessionSchema, sessionJson } from './console-schemas.js';

export function registerListSessions(app: App, services: ConsoleRouteServices) {
  app.get(
    '/v1/console/sessions',
    {
      // Anyone their own; `all` is checked by the service (admins only).
      config: { auth: ANY_HUMAN },
      schema: {
        tags: ['console'],
        summary: "The caller's live console sessions (admins: every one of the tenant with all=true)",
        querystring: Type.Object(
          { all: Type.Optional(Type.Boolean({ description: 'every session of the tenant (admin)' })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            sessions: Type.Array(Type.Intersect([SessionSchema, Type.Object({ current: Type.Boolean() })])),
          }),
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      const principal = humanOf(request);
      const sessions = await services.sessions.list(principal, request.query.all === true);
      return {
        sessions: sessions.map((s) => ({ ...sessionJson(s), current: s.id === principal.sessionId })),
      };
    },
  );
}
