import type { App } from '../../http/app.js';
import type { RateLimitService } from '../rate-limit-service.js';
import { registerCreateRateLimit } from './create-rate-limit.js';
import { registerDeleteRateLimit } from './delete-rate-limit.js';
import { registerListRateLimits } from './list-rate-limits.js';
import { registerUpdateRateLimit } from './update-rate-limit.js';

/** /v1/rate-limits: read by any human of the tenant, changed by admins and security. */
export function registerRateLimitRoutes(app: App, service: RateLimitService): void {
  registerListRateLimits(app, service);
  registerCreateRateLimit(app, service);
  registerUpdateRateLimit(app, service);
  registerDeleteRateLimit(app, service);
}
