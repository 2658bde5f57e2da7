import type { App } from '../../http/app.js';
import type { TrustService } from '../trust-service.js';
import { registerAgentTrustRoute } from './agent-trust-route.js';
import { registerCriteriaRoutes } from './criteria-routes.js';
import { registerReportIncident } from './report-incident.js';

/** Trust tiers: the tenant's criteria, an agent's standing, incidents people report. */
export function registerTrustRoutes(app: App, trust: TrustService): void {
  registerCriteriaRoutes(app, trust);
  registerAgentTrustRoute(app, trust);
  registerReportIncident(app, trust);
}
