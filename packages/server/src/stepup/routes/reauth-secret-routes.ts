import { Type } from 'typebox';
import { notFound } from '../../errors.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf, StrictObject } from '../../http/schemas.js';
import { MAX_SECRET_CHARS, type ReauthSecrets } from '../reauth-secret.js';

const Secret = Type.String({ minLength: 1, maxLength: MAX_SECRET_CHARS });
const State = Type.Object({ reauthSecret: Type.Object({ set: Type.Boolean() }) });

/**
 * The human's own re-authentication secret (set, change: `PUT /v1/me/reauth-secret`, whether one is
 * set: `GET`), and an admin clearing a forgotten one (`DELETE /v1/humans/:id/reauth-secret`).
 */
export function registerReauthSecretRoutes(app: App, secrets: ReauthSecrets): void {
  app.get(
    '/v1/me/reauth-secret',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['humans'],
        summary: 'Whether you have a re-authentication secret',
        response: { 200: State, ...errorResponses() },
      },
    },
    async (request) => {
      const principal = humanOf(request);
      return { reauthSecret: { set: await secrets.has(principal.tenantId, principal.humanId) } };
    },
  );
  app.put(
    '/v1/me/reauth-secret',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['humans'],
        summary: 'Set or change your re-authentication secret',
        description:
          'The secret you present again to approve a step that asks the initiator to re-authenticate. At least 12 characters; changing one needs `currentSecret`.',
        body: StrictObject({ secret: Secret, currentSecret: Type.Optional(Secret) }),
        response: { 200: State, ...errorResponses(429) },
      },
    },
    async (request) => {
      const principal = humanOf(request);
      await secrets.set(
        principal.tenantId,
        principal.humanId,
        request.body.secret,
        request.body.currentSecret,
      );
      return { reauthSecret: { set: true } };
    },
  );
  app.delete(
    '/v1/humans/:id/reauth-secret',
    {
      config: { auth: { kind: 'human', roles: [] } },
      schema: {
        tags: ['humans'],
        summary: "Clear a human's re-authentication secret (they forgot it)",
        params: Type.Object({ id: IdOf('usr') }),
        response: { 200: State, ...errorResponses(404) },
      },
    },
    async (request) => {
      const principal = humanOf(request);
      const cleared = await secrets.clear(principal.tenantId, request.params.id, principal.humanId);
      if (!cleared) throw notFound('re-authentication secret of human', request.params.id);
      return { reauthSecret: { set: false } };
    },
  );
}
