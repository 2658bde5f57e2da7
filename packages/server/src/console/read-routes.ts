import { registerAgentCapabilities } from '../agents/routes/agent-capabilities.js';
import { registerListAnomalies } from '../anomaly/routes/list-anomalies.js';
import { registerBudgetUsage } from '../budgets/routes/budget-usage.js';
import type { App } from '../http/app.js';
import { registerPolicyVersionRoutes } from '../policies/routes/policy-versions.js';
import type { ConsoleReads } from './read-services.js';
import { registerOverview } from './routes/get-overview.js';

/** The read routes the console's pages use beyond the resource routes (see docs/console.md). */
export function registerConsoleReadRoutes(app: App, reads: ConsoleReads): void {
  registerOverview(app, reads.overview);
  registerAgentCapabilities(app, reads.capabilities);
  registerPolicyVersionRoutes(app, reads.policyVersions);
  registerBudgetUsage(app, reads.budgetUsage);
  registerListAnomalies(app, reads.anomalies);
}
