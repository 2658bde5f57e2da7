import { AgentCache } from './agents/agent-cache.js';
import { registerAgentRoutes } from './agents/routes/register.js';
import type { AuditLog } from './audit/audit-log.js';
import { type AuditTrail, createAuditTrail } from './audit/audit-trail.js';
import { startRetentionJob } from './audit/retention-job.js';
import { registerAuditRoutes } from './audit/routes/register.js';
import type { Config } from './config/config.js';
import { Authenticator } from './credentials/authenticator.js';
import { LastUsedTracker } from './credentials/last-used.js';
import { registerAgentKeyRoutes } from './credentials/routes/register.js';
import { DecideService } from './decisions/decide-service.js';
import { DecisionReader } from './decisions/decision-reader.js';
import { DecisionRecorder } from './decisions/decision-recorder.js';
import { OutcomeService } from './decisions/outcome-service.js';
import { registerDecideRoute } from './decisions/routes/decide.js';
import { registerReadDecisionRoutes } from './decisions/routes/read-decisions.js';
import { registerReportOutcomeRoute } from './decisions/routes/report-outcome.js';
import { TaskOwners } from './decisions/task-owners.js';
import { type App, createApp } from './http/app.js';
import { registerHealthRoutes } from './http/health-routes.js';
import { LogNotifier, type Notifier } from './notify/notifier.js';
import { WebhookNotifier } from './notify/webhook-notifier.js';
import { PolicyRegistry } from './policies/policy-registry.js';
import { PolicyService } from './policies/policy-service.js';
import { registerPolicyRoutes } from './policies/routes/policy-routes.js';
import { PostgresSignals } from './signals/postgres-signals.js';
import { LocalSignals, type Signals } from './signals/signals.js';
import { openStorage, type Storage } from './storage/database.js';
import { migrateToLatest } from './storage/migrate.js';
import { type Bootstrap, ensureDefaultTenant } from './tenants/bootstrap.js';
import { registerHumanRoutes } from './tenants/routes/index.js';
import { UsageStore } from './usage/usage-store.js';
import { WARDEN_VERSION } from './version.js';

export interface NodeOptions {
  /** Replaces Date.now for every service (tests). */
  readonly clock?: () => number;
  /** Replaces the configured notifier (tests). */
  readonly notifier?: Notifier;
  /** Separates cross-node signals of nodes that share a database but not a schema (tests). */
  readonly signalNamespace?: string;
}

export interface WardenNode {
  readonly config: Config;
  readonly app: App;
  readonly storage: Storage;
  readonly signals: Signals;
  readonly audit: AuditLog;
  readonly auditTrail: AuditTrail;
  readonly policies: PolicyService;
  readonly registry: PolicyRegistry;
  readonly bootstrap: Bootstrap;
  /** Last-used times of keys and tokens and agents' last activity, written in the background. */
  readonly lastUsed: LastUsedTracker;
  /** Starts listening; returns the base URL. */
  listen(): Promise<string>;
  /** Stops accepting, lets in-flight requests finish, flushes, closes storage. */
  close(): Promise<void>;
}

/** The composition root: builds every service from the config and registers every route. */
export async function createNode(config: Config, options: NodeOptions = {}): Promise<WardenNode> {
  const clock = options.clock ?? Date.now;
  const storage = openStorage(config);
  try {
    await migrateToLatest(storage);
  } catch (error) {
    await storage.close();
    throw error;
  }
  const signals: Signals =
    storage.dialect === 'postgres' && storage.postgresUrl
      ? await PostgresSignals.connect(storage.postgresUrl, options.signalNamespace)
      : new LocalSignals();
  const lastUsed = new LastUsedTracker(storage);
  const authenticator = new Authenticator(storage, signals, lastUsed, config.credentialCacheTtlMs, clock);
  const app = await createApp({ logLevel: config.logLevel, authenticator, version: WARDEN_VERSION });
  let auditTrail: AuditTrail;
  try {
    auditTrail = await createAuditTrail({ config, storage, signals, clock, log: app.log });
  } catch (error) {
    await signals.close();
    await storage.close();
    throw error;
  }
  const audit = auditTrail.log;
  const agentCache = new AgentCache(storage, signals, config.credentialCacheTtlMs, clock);
  const registry = new PolicyRegistry();
  const policies = new PolicyService(storage, registry, audit, signals, clock);

  const usage = new UsageStore(storage);
  const recorder = new DecisionRecorder(storage, audit, usage);
  const decideService = new DecideService({
    agents: agentCache,
    registry,
    usage,
    recorder,
    tasks: new TaskOwners(storage),
    protection: auditTrail.protection,
    clock,
  });

  const bootstrap = await ensureDefaultTenant(storage, audit, {
    slug: config.defaultTenant,
    adminEmail: config.adminEmail,
    dataDir: config.dataDir,
  });
  await policies.syncAll();
  if (config.policyDir) {
    const read = await policies.readDirectory(config.policyDir);
    const result = read.ok
      ? await policies.activate(bootstrap.tenant.id, read.files, { type: 'system', id: 'startup' })
      : read;
    if (!result.ok) {
      await auditTrail.close();
      await signals.close();
      await storage.close();
      const first = result.issues[0];
      throw new Error(
        `WARDEN_POLICY_DIR ${config.policyDir} does not load (${result.issues.length} issue(s)); first: ${first?.file}:${first?.line}: ${first?.message}`,
      );
    }
  }

  const notifier =
    options.notifier ??
    (config.webhookUrl && config.webhookSecret
      ? new WebhookNotifier(config.webhookUrl, config.webhookSecret, app.log)
      : new LogNotifier((message, data) => app.log.info(data, message)));

  registerHealthRoutes(app, { storage, registry, tenantId: bootstrap.tenant.id });
  registerHumanRoutes(app, { storage, audit, signals, clock });
  registerAgentRoutes(app, { storage, audit, signals, notifier, agentCache, clock });
  registerAgentKeyRoutes(app, { storage, audit, signals, clock });
  registerPolicyRoutes(app, {
    storage,
    registry,
    policies,
    policyDir: config.policyDir,
    defaultTenantId: bootstrap.tenant.id,
  });
  registerDecideRoute(app, decideService);
  registerReportOutcomeRoute(
    app,
    new OutcomeService(storage, audit, usage, auditTrail.protection, config.auditMaxOutputBytes, clock),
  );
  registerReadDecisionRoutes(app, new DecisionReader(storage));
  // audit routes
  registerAuditRoutes(app, { storage, auditTrail, signals, clock });

  const stopRetention = startRetentionJob({ storage, auditTrail, signals, clock, log: app.log });
  lastUsed.start();
  policies.startSync(config.policySyncIntervalMs);
  const pruneTimer = setInterval(() => void usage.prune(clock()).catch(() => {}), 10 * 60_000);
  pruneTimer.unref();

  return {
    config,
    app,
    storage,
    signals,
    audit,
    auditTrail,
    policies,
    registry,
    bootstrap,
    lastUsed,
    async listen() {
      return app.listen({ host: config.host, port: config.port });
    },
    async close() {
      policies.stopSync();
      clearInterval(pruneTimer);
      await app.close();
      await recorder.idle();
      await lastUsed.stop().catch(() => {});
      await stopRetention();
      await auditTrail.close();
      await signals.close();
      await storage.close();
    },
  };
}
