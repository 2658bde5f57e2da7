import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { absentBodyAsEmpty, errorResponses, IdOf, StrictObject } from '../../http/schemas.js';
import type { PolicySchedules } from '../schedule/policy-schedules.js';
import { ScheduledVersionSchema, scheduleJson } from './schedule-json.js';

/** `GET /v1/policies/scheduled` and `POST /v1/policies/scheduled/:id/cancel`. */
export function registerScheduledPolicies(app: App, schedules: PolicySchedules) {
  app.get(
    '/v1/policies/scheduled',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['policies'],
        summary: 'Policy versions waiting for their notify-first grace period (all of them with all=true)',
        querystring: StrictObject({ all: Type.Optional(Type.Boolean()) }),
        response: {
          200: Type.Object({ scheduled: Type.Array(ScheduledVersionSchema) }),
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      const { tenantId } = humanOf(request);
      const rows = await schedules.list(tenantId, request.query.all === true);
      return { scheduled: rows.map(scheduleJson) };
    },
  );

  app.post(
    '/v1/policies/scheduled/:id/cancel',
    {
      config: { auth: { kind: 'human', roles: ['security'] } },
      preValidation: absentBodyAsEmpty,
      schema: {
        tags: ['policies'],
        summary: 'Cancel a scheduled policy version before it becomes active',
        params: StrictObject({ id: IdOf('pls') }),
        body: StrictObject({}),
        response: { 200: Type.Object({ scheduled: ScheduledVersionSchema }), ...errorResponses(404, 409) },
      },
    },
    async (request) => {
      const human = humanOf(request);
      const cancelled = await schedules.cancel(human.tenantId, request.params.id, {
        type: 'human',
        id: human.humanId,
      });
      return { scheduled: scheduleJson(cancelled) };
    },
  );
}
