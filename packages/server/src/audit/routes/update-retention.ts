import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import type { RetentionSettings } from '../audit-retention.js';
import { Retention } from './audit-schemas.js';

/** PUT /v1/audit/retention: changes the retention period (admin); the change is audited. */
export function registerUpdateRetention(app: App, retention: RetentionSettings): void {
  app.put(
    '/v1/audit/retention',
    {
      config: { auth: { kind: 'human', roles: [] } },
      schema: {
        tags: ['audit'],
        summary: 'Change the audit retention period (admin)',
        body: Retention,
        response: { 200: Retention, ...errorResponses() },
      },
    },
    async (request) => ({ days: await retention.update(humanOf(request), request.body.days) }),
  );
}
