import type { App } from '../../http/app.js';
import type { DelegationService } from '../delegation-service.js';
import { registerAgentDelegationRoutes } from './agent-delegation-routes.js';
import { registerHumanDelegationRoutes } from './human-delegation-routes.js';

export function registerDelegationRoutes(app: App, service: DelegationService): void {
  registerAgentDelegationRoutes(app, service);
  registerHumanDelegationRoutes(app, service);
}
