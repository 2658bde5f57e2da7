import { Type } from 'typebox';
import { invalidField } from '../../errors.js';
import type { App } from '../../http/app.js';
import { errorResponses, StrictObject } from '../../http/schemas.js';
import { setSessionCookie } from '../session-cookie.js';
import { type ConsoleRouteServices, SignedInSchema, signedInJson } from './console-schemas.js';

const Body = StrictObject({
  token: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'A human API token (wdn_u_…)' }),
  ),
  code: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'A one-time sign-in code (wdn_c_…)' }),
  ),
});

export function registerSignIn(app: App, services: ConsoleRouteServices) {
  app.post(
    '/v1/console/sign-in',
    {
      // Anyone may try; what they present is the credential. JSON only: a cross-site form cannot
      // send it, so no other site can sign a visitor in to an account of its choosing.
      config: { auth: { kind: 'public' } },
      schema: {
        tags: ['console'],
        summary: 'Sign in to the web console with a human token or a one-time code',
        description:
          'Sets the HttpOnly, SameSite=Strict session cookie. Every failure (unknown, expired, used, revoked, an agent key) is the same 401.',
        body: Body,
        response: { 200: SignedInSchema, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { token, code } = request.body;
      if ((token === undefined) === (code === undefined)) {
        throw invalidField('body', 'send exactly one of token or code');
      }
      const userAgent = request.headers['user-agent'];
      const signedIn = await services.sessions.signIn(
        token !== undefined ? 'token' : 'code',
        token ?? code ?? '',
        userAgent ? { userAgent } : {},
      );
      const { session, secret, csrfToken } = signedIn;
      setSessionCookie(
        request,
        reply,
        secret,
        (session.expiresAt - session.createdAt) / 1000,
        services.httpsPublicUrl,
      );
      return signedInJson(services, session, csrfToken);
    },
  );
}
