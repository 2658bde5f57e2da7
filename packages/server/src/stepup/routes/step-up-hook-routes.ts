import { Type } from 'typebox';
import { notFound } from '../../errors.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IsoTime, StrictObject } from '../../http/schemas.js';
import type { StepUpHooks, StepUpHookView } from '../step-up-hooks.js';

const HookSchema = Type.Object({
  url: Type.String(),
  updatedBy: Type.String(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});

const ADMIN = { kind: 'human', roles: [] } as const;

function hookJson(view: StepUpHookView) {
  return {
    url: view.url,
    updatedBy: view.updatedBy,
    createdAt: new Date(view.createdAt).toISOString(),
    updatedAt: new Date(view.updatedAt).toISOString(),
  };
}

/** The tenant's step-up hook: show (never the secret), set, remove. Admins only. */
export function registerStepUpHookRoutes(app: App, hooks: StepUpHooks): void {
  app.get(
    '/v1/step-up/hook',
    {
      config: { auth: ADMIN },
      schema: {
        tags: ['step-up'],
        summary: "The tenant's step-up hook",
        response: { 200: Type.Object({ hook: HookSchema }), ...errorResponses(404) },
      },
    },
    async (request) => {
      const view = await hooks.view(humanOf(request).tenantId);
      if (!view) throw notFound('step-up hook of tenant', humanOf(request).tenantId);
      return { hook: hookJson(view) };
    },
  );
  app.put(
    '/v1/step-up/hook',
    {
      config: { auth: ADMIN },
      schema: {
        tags: ['step-up'],
        summary: 'Set the step-up hook',
        description:
          'Where Warden sends signed re-authentication requests for initiators who are not Warden users (end customers), and the shared secret (at least 32 characters) both sides sign with.',
        body: StrictObject({
          url: Type.String({ minLength: 1, maxLength: 2000 }),
          secret: Type.String({ minLength: 1, maxLength: 500 }),
        }),
        response: { 200: Type.Object({ hook: HookSchema }), ...errorResponses() },
      },
    },
    async (request) => {
      const principal = humanOf(request);
      const view = await hooks.set(
        principal.tenantId,
        principal.humanId,
        request.body.url,
        request.body.secret,
      );
      return { hook: hookJson(view) };
    },
  );
  app.delete(
    '/v1/step-up/hook',
    {
      config: { auth: ADMIN },
      schema: {
        tags: ['step-up'],
        summary: 'Remove the step-up hook',
        response: { 200: Type.Object({ removed: Type.Boolean() }), ...errorResponses(404) },
      },
    },
    async (request) => {
      const principal = humanOf(request);
      if (!(await hooks.remove(principal.tenantId, principal.humanId))) {
        throw notFound('step-up hook of tenant', principal.tenantId);
      }
      return { removed: true };
    },
  );
}
