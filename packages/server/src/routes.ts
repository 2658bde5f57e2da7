import { registerAccessRoutes } from './access/routes/access-routes.js';
import { registerAgentRoutes } from './agents/routes/register.js';
import { registerAnomalyRoutes } from './anomaly/routes/register.js';
import { registerApprovalRoutes } from './approvals/routes/register.js';
import { registerAuditRoutes } from './audit/routes/register.js';
import { registerBudgetRoutes } from './budgets/routes/register.js';
import type { Config } from './config/config.js';
import { registerConsoleReadRoutes } from './console/read-routes.js';
import { registerConsoleSessionRoutes } from './console/routes/register.js';
import { consoleDir } from './console/static/console-dir.js';
import { registerConsoleAssets } from './console/static/serve-console.js';
import { registerAgentKeyRoutes } from './credentials/routes/register.js';
import { registerDecideRoute } from './decisions/routes/decide.js';
import { registerReadDecisionRoutes } from './decisions/routes/read-decisions.js';
import { registerReportOutcomeRoute } from './decisions/routes/report-outcome.js';
import { registerDelegationRoutes } from './delegation/routes/register.js';
import { registerDriftRoutes } from './drift/routes/drift-routes.js';
import type { App } from './http/app.js';
import { registerHealthRoutes } from './http/health-routes.js';
import { registerKillRoutes } from './kill/routes/register.js';
import { registerRateLimitRoutes } from './limits/routes/register.js';
import { registerLlmRoutes } from './llm/http/llm-routes.js';
import { registerLlmProviderRoutes } from './llm/http/provider-routes.js';
import { registerShadowRoutes } from './llm/http/shadow-routes.js';
import { registerMcpRoutes } from './mcp/routes/mcp-routes.js';
import { registerMcpServerRoutes } from './mcp/routes/server-routes.js';
import { registerNotificationRoutes } from './notify/routes/register.js';
import { registerPolicyRoutes } from './policies/routes/policy-routes.js';
import { registerRecertRoutes } from './recert/routes/recert-routes.js';
import type { Services } from './services.js';
import { registerStepUpRoutes } from './stepup/routes/register.js';
import { registerMetricsRoute } from './telemetry/metrics-route.js';
import { registerHumanRoutes } from './tenants/routes/index.js';
import { registerTrustRoutes } from './trust/routes/register.js';

/** Every route of the node, on the services built once in services.ts. */
export async function registerRoutes(
  app: App,
  services: Services,
  config: Config,
  defaultTenantId: string,
): Promise<void> {
  const { storage, registry } = services;
  registerHealthRoutes(app, { storage, registry, tenantId: defaultTenantId });
  if (services.telemetry.metrics) registerMetricsRoute(app, services.telemetry.metrics, config.metricsToken);
  registerHumanRoutes(app, services.tenants);
  registerAgentRoutes(app, services.agents);
  registerApprovalRoutes(app, {
    storage,
    service: services.approvals,
    reader: services.approvalReader,
    watch: services.approvalWatch,
    telemetry: services.telemetry,
  });
  registerStepUpRoutes(app, services.stepUp);
  registerAccessRoutes(app, services.access, services.grants, services.approvalReader);
  registerNotificationRoutes(app, { queue: services.deliveries });
  registerAgentKeyRoutes(app, services.agentKeys);
  registerPolicyRoutes(app, {
    storage,
    registry,
    policies: services.policies,
    policyDir: config.policyDir,
    defaultTenantId,
    changes: services.policyChanges,
    clock: services.clock,
  });
  registerKillRoutes(app, { kill: services.kill });
  registerDelegationRoutes(app, services.delegations);
  registerDecideRoute(app, services.decide);
  registerReportOutcomeRoute(app, services.outcomes);
  registerBudgetRoutes(app, services.budgets);
  registerAnomalyRoutes(app, services.anomaly);
  registerRateLimitRoutes(app, services.rateLimits);
  registerReadDecisionRoutes(app, services.decisions);
  registerAuditRoutes(app, services.auditServices);
  registerMcpServerRoutes(app, services.mcp.deps.pool, services.mcpServers);
  registerMcpRoutes(app, {
    gateway: services.mcp,
    allowedHosts: [
      ...config.mcpAllowedHosts,
      ...(config.publicUrl ? [new URL(config.publicUrl).hostname] : []),
      ...(config.host !== '0.0.0.0' && config.host !== '::' ? [config.host] : []),
    ],
    allowedOrigins: config.mcpAllowedOrigins,
  });
  registerLlmRoutes(app, services.llm, config.llmMaxBodyBytes, services.telemetry);
  registerLlmProviderRoutes(app, services.llm.deps.providers, services.llmProviders);
  registerShadowRoutes(app, services.storage, services.clock);
  if (config.console === 'on') {
    registerConsoleSessionRoutes(app, {
      storage,
      sessions: services.consoleSessions,
      humans: services.tenants.humans,
      httpsPublicUrl: config.publicUrl?.startsWith('https:') ?? false,
    });
    await registerConsoleAssets(app, consoleDir(config.consoleDir));
  }
  registerDriftRoutes(app, services.drift, services.storage);
  registerRecertRoutes(app, services.recert);
  registerConsoleReadRoutes(app, services.consoleReads);
  registerTrustRoutes(app, services.trust);
}
