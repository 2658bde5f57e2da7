import { AccessService } from './access/access-service.js';
import { GrantCache } from './access/grant-cache.js';
import { GrantService } from './access/grant-service.js';
import { registerAccessRoutes } from './access/routes/access-routes.js';
import { AgentCache } from './agents/agent-cache.js';
import { registerAgentRoutes } from './agents/routes/register.js';
import { startAnomalyMonitor } from './anomaly/anomaly-monitor.js';
import { CircuitBreaker } from './anomaly/circuit-breaker.js';
import { registerAnomalyRoutes } from './anomaly/routes/register.js';
import { ApprovalReader } from './approvals/approval-reader.js';
import { type ApprovalOptions, ApprovalService } from './approvals/approval-service.js';
import { ApprovalWatch } from './approvals/approval-watch.js';
import { startDeadlineSweeper } from './approvals/deadline-sweeper.js';
import { DecisionApprovals } from './approvals/decision-approvals.js';
import { Registrations } from './approvals/registration.js';
import { WebhookRollbackCaller } from './approvals/rollback-caller.js';
import { registerApprovalRoutes } from './approvals/routes/register.js';
import type { AuditLog } from './audit/audit-log.js';
import { type AuditTrail, createAuditTrail } from './audit/audit-trail.js';
import { startRetentionJob } from './audit/retention-job.js';
import { registerAuditRoutes } from './audit/routes/register.js';
import { applyBudgetsFile } from './budgets/apply-budgets-file.js';
import { BudgetCache } from './budgets/budget-cache.js';
import { BudgetService } from './budgets/budget-service.js';
import { CrossingNotices } from './budgets/crossing-effects.js';
import { DecisionBudgets } from './budgets/decision-budgets.js';
import { startReservationSweeper } from './budgets/reservation-sweeper.js';
import { Reservations } from './budgets/reservations.js';
import { registerBudgetRoutes } from './budgets/routes/register.js';
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
import { DelegationService } from './delegation/delegation-service.js';
import { DelegationGrants } from './delegation/delegation-store.js';
import { registerDelegationRoutes } from './delegation/routes/register.js';
import { type App, type AppOptions, createApp } from './http/app.js';
import { registerHealthRoutes } from './http/health-routes.js';
import { prettyLogStream } from './http/pretty-log.js';
import { KillService } from './kill/kill-service.js';
import { registerKillRoutes } from './kill/routes/register.js';
import { TenantState } from './kill/tenant-state.js';
import { RateLimitCache } from './limits/rate-limit-cache.js';
import { createRateLimiter } from './limits/rate-limit-gate.js';
import { RateLimitService } from './limits/rate-limit-service.js';
import { registerRateLimitRoutes } from './limits/routes/register.js';
import { createNotifier } from './notify/create-notifier.js';
import type { Notifier } from './notify/notifier.js';
import { registerNotificationRoutes } from './notify/routes/register.js';
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
  /** Sees every route as it is added (tests). */
  readonly onRoute?: AppOptions['onRoute'];
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
  /** Settles stale budget reservations now (the background sweep does it every interval). */
  sweepReservations(): Promise<number>;
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
  const app = await createApp({
    logLevel: config.logLevel,
    ...(config.logFormat === 'pretty'
      ? { logDestination: prettyLogStream((t) => process.stdout.write(t)) }
      : {}),
    authenticator,
    version: WARDEN_VERSION,
    onRoute: options.onRoute,
  });
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

  const notifications = createNotifier({ config, storage, log: app.log, clock });
  const notifier = options.notifier ?? notifications.notifier;
  // Links in notifications use WARDEN_PUBLIC_URL, else the address this node listens on.
  let listeningUrl = `http://${config.host}:${config.port}`;
  const approvalOptions: ApprovalOptions = {
    get publicUrl() {
      return config.publicUrl ?? listeningUrl;
    },
    grantTtlSeconds: config.approvalGrantTtlSeconds,
    maxTimeoutSeconds: config.approvalMaxTimeoutSeconds,
    onCallFirstSeconds: config.onCallFirstSeconds,
    // A security or legal group that does not exist yet falls back to people with the role.
    fallbackRoles: { [config.approvalSecurityGroup]: ['security'], [config.approvalLegalGroup]: ['admin'] },
  };
  const approvals = new ApprovalService({
    storage,
    audit,
    signals,
    notifier,
    rollbacks: new WebhookRollbackCaller(config.webhookSecret, app.log, config.webhookRetryBaseMs),
    log: app.log,
    clock,
    options: approvalOptions,
  });
  const registrations = new Registrations(approvals, approvalOptions, {
    securityGroup: config.approvalSecurityGroup,
    legalGroup: config.approvalLegalGroup,
  });
  const watch = new ApprovalWatch(signals);
  const approvalReader = new ApprovalReader(storage, watch, approvalOptions);

  const usage = new UsageStore(storage);
  const recorder = new DecisionRecorder(storage, audit, usage);
  const kill = new KillService({ storage, audit, signals, notifier, log: app.log, clock });
  const budgetCache = new BudgetCache(storage, signals, config.credentialCacheTtlMs, clock);
  const crossings = new CrossingNotices({ storage, notifier, suspender: kill, log: app.log });
  const reservations = new Reservations(budgetCache);
  const budgets = new BudgetService({
    storage,
    audit,
    signals,
    cache: budgetCache,
    defaultThresholds: config.budgetThresholds,
    clock,
  });
  const breaker = new CircuitBreaker({
    storage,
    usage,
    audit,
    signals,
    notifier,
    clock,
    log: app.log,
    config,
  });
  const rateLimiter = await createRateLimiter(config, app.log);
  const rateLimitService = new RateLimitService({ storage, audit, signals, clock });
  const decideService = new DecideService({
    grants: new GrantCache(storage, signals, config.credentialCacheTtlMs),
    approvals: new DecisionApprovals({
      storage,
      approvals,
      options: approvalOptions,
      random: Math.random,
    }),
    agents: agentCache,
    registry,
    usage,
    recorder,
    tasks: new TaskOwners(storage),
    delegations: new DelegationGrants(storage.db),
    tenants: new TenantState(storage, signals, config.credentialCacheTtlMs, clock),
    budgets: new DecisionBudgets(budgetCache, config.reservationTimeoutSeconds * 1000),
    rateLimits: {
      rules: new RateLimitCache(storage, signals, config.credentialCacheTtlMs, clock),
      limiter: rateLimiter,
    },
    crossings,
    protection: auditTrail.protection,
    log: app.log,
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
      await rateLimiter.close();
      await auditTrail.close();
      await signals.close();
      await storage.close();
      const first = result.issues[0];
      throw new Error(
        `WARDEN_POLICY_DIR ${config.policyDir} does not load (${result.issues.length} issue(s)); first: ${first?.file}:${first?.line}: ${first?.message}`,
      );
    }
  }

  try {
    await applyBudgetsFile(config, bootstrap.tenant.id, { budgets, rateLimits: rateLimitService });
  } catch (error) {
    await rateLimiter.close();
    await auditTrail.close();
    await signals.close();
    await storage.close();
    throw error;
  }

  registerHealthRoutes(app, { storage, registry, tenantId: bootstrap.tenant.id });
  registerHumanRoutes(app, { storage, audit, signals, clock });
  registerAgentRoutes(app, { storage, audit, signals, notifier, agentCache, clock, registrations });
  registerApprovalRoutes(app, { storage, service: approvals, reader: approvalReader, watch });
  registerAccessRoutes(
    app,
    new AccessService({
      storage,
      approvals,
      options: approvalOptions,
      maxDurationSeconds: config.accessMaxDurationSeconds,
      securityGroup: config.approvalSecurityGroup,
      clock,
    }),
    new GrantService({ storage, audit, signals, clock }),
    approvalReader,
  );
  registerNotificationRoutes(app, { queue: notifications.queue });
  registerAgentKeyRoutes(app, { storage, audit, signals, clock });
  registerPolicyRoutes(app, {
    storage,
    registry,
    policies,
    policyDir: config.policyDir,
    defaultTenantId: bootstrap.tenant.id,
  });
  registerKillRoutes(app, { kill });
  registerDelegationRoutes(app, new DelegationService({ storage, audit, clock }));
  registerDecideRoute(app, decideService);
  registerReportOutcomeRoute(
    app,
    new OutcomeService({
      storage,
      audit,
      usage,
      protection: auditTrail.protection,
      maxOutputBytes: config.auditMaxOutputBytes,
      reservations,
      crossings,
      breaker,
      clock,
    }),
  );
  registerBudgetRoutes(app, budgets);
  registerAnomalyRoutes(app, { storage, usage, breaker, config, clock });
  registerRateLimitRoutes(app, { storage, audit, signals, clock });
  registerReadDecisionRoutes(app, new DecisionReader(storage));
  // audit routes
  registerAuditRoutes(app, { storage, auditTrail, signals, clock });

  const stopRetention = startRetentionJob({ storage, auditTrail, signals, clock, log: app.log });
  const anomalyMonitor = startAnomalyMonitor({
    storage,
    usage,
    audit,
    notifier,
    clock,
    log: app.log,
    config,
  });
  const reservationSweeper = startReservationSweeper({
    storage,
    audit,
    reservations,
    crossings,
    clock,
    intervalMs: config.budgetSweepIntervalMs,
    log: app.log,
  });
  const sweeper = startDeadlineSweeper({
    storage,
    approvals,
    clock,
    intervalMs: config.approvalSweepIntervalMs,
    log: app.log,
  });
  notifications.start();
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
    sweepReservations: () => reservationSweeper.sweep(),
    async listen() {
      listeningUrl = await app.listen({ host: config.host, port: config.port });
      return listeningUrl;
    },
    async close() {
      policies.stopSync();
      clearInterval(pruneTimer);
      await app.close();
      await sweeper.stop();
      await reservationSweeper.stop();
      await anomalyMonitor.stop();
      await rateLimiter.close();
      await notifications.stop();
      await recorder.idle();
      await lastUsed.stop().catch(() => {});
      await stopRetention();
      await auditTrail.close();
      await signals.close();
      await storage.close();
    },
  };
}
