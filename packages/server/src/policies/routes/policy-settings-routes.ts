import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, StrictObject } from '../../http/schemas.js';
import { MAX_NOTIFY_FIRST_SECONDS, type PolicySettings } from '../schedule/policy-settings.js';
import { DurationText, durationField } from './policy-files.js';

const Settings = Type.Object({
  notifyFirstSeconds: Type.Integer({
    description:
      'the grace period of a reload that takes allows away from active agents; 0: activate at once',
  }),
});

/** `GET` and `PUT /v1/policies/settings`: the tenant's notify-first grace period. */
export function registerPolicySettings(app: App, settings: PolicySettings) {
  app.get(
    '/v1/policies/settings',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['policies'],
        summary: "The tenant's policy change settings",
        response: { 200: Settings, ...errorResponses() },
      },
    },
    async (request) => ({ notifyFirstSeconds: await settings.notifyFirstSeconds(humanOf(request).tenantId) }),
  );

  app.put(
    '/v1/policies/settings',
    {
      config: { auth: { kind: 'human', roles: ['security'] } },
      schema: {
        tags: ['policies'],
        summary: 'Set the notify-first grace period of reloads (0s: none)',
        body: StrictObject({ notifyFirst: DurationText }),
        response: { 200: Settings, ...errorResponses() },
      },
    },
    async (request) => {
      const human = humanOf(request);
      const seconds = durationField(
        'body.notifyFirst',
        request.body.notifyFirst,
        0,
        MAX_NOTIFY_FIRST_SECONDS,
      );
      await settings.setNotifyFirstSeconds(human.tenantId, seconds, { type: 'human', id: human.humanId });
      return { notifyFirstSeconds: seconds };
    },
  );
}
