import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import type { RetentionSettings } from '../audit-retention.js';
import { ANY_HUMAN, Retention } from './audit-schemas.js';

/** GET /v1/audit/retention: how many days after its month ends an event's payload is kept. */
export function registerGetRetention(app: App, retention: RetentionSettings): void {
  app.get(
    '/v1/audit/retention',
    {
      config: { auth: ANY_HUMAN },
      schema: {
        tags: ['audit'],
        summary: 'The audit retention period',
        response: { 200: Retention, ...errorResponses() },
      },
    },
    async (request) => ({ days: await retention.days(humanOf(request).tenantId) }),
  );
}
