import type { App } from '../../http/app.js';
import type { KillService } from '../kill-service.js';
import { registerFreezeTenant } from './freeze-tenant.js';
import { registerKillAgent } from './kill-agent.js';
import { registerKillOwner } from './kill-owner.js';
import { registerTenantStatus } from './tenant-status.js';
import { registerThawTenant } from './thaw-tenant.js';

/**
 * The kill switch's routes under /v1/kill. The service is built in main.ts and shared with the
 * callers that pull the switch without HTTP (budgets suspend an agent at a hard limit).
 */
export function registerKillRoutes(app: App, deps: { readonly kill: KillService }): void {
  registerKillAgent(app, deps.kill);
  registerKillOwner(app, deps.kill);
  registerFreezeTenant(app, deps.kill);
  registerThawTenant(app, deps.kill);
  registerTenantStatus(app, deps.kill);
}
