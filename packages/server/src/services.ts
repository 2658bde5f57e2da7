/**
 * The composition root's first half: every service of a node is built here, once, from the config.
 *
 * - Resources (storage, signals, the audit trail, the rate limiter, the decision recorder's pending
 *   commits) are pushed on the node's `Closers` stack the moment they are acquired; createNode pushes
 *   the workers when it starts them and the HTTP app last, so `unwind` closes the app first (in-flight
 *   requests finish), then stops the workers newest-first, then releases the resources. The same
 *   unwind runs when the start fails half-way, so a failed start leaves nothing open.
 * - Background jobs are `Worker`s ({ name, start(), stop() }), built here and not started: createNode
 *   starts them, in the order of `workers`, only once the node's startup succeeded.
 * - Route registrars receive the services built here and build nothing themselves.
 */

import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { FastifyBaseLogger } from 'fastify';
import { AccessService } from './access/access-service.js';
import { GrantCache } from './access/grant-cache.js';
import { GrantService } from './access/grant-service.js';
import { AgentCache } from './agents/agent-cache.js';
import type { AgentDeps } from './agents/agent-deps.js';
import { AgentLifecycle } from './agents/agent-lifecycle.js';
import { AgentService } from './agents/agent-service.js';
import { AgentSpawner } from './agents/agent-spawn.js';
import type { AgentRouteServices } from './agents/routes/register.js';
import { anomalyMonitor } from './anomaly/anomaly-monitor.js';
import { BaselineReader } from './anomaly/baseline-reader.js';
import { CircuitBreaker } from './anomaly/circuit-breaker.js';
import type { AnomalyRouteServices } from './anomaly/routes/register.js';
import { ApprovalReader } from './approvals/approval-reader.js';
import { type ApprovalOptions, ApprovalService } from './approvals/approval-service.js';
import { ApprovalWatch } from './approvals/approval-watch.js';
import { deadlineSweeper } from './approvals/deadline-sweeper.js';
import { DecisionApprovals } from './approvals/decision-approvals.js';
import { Registrations } from './approvals/registration.js';
import { WebhookRollbackCaller } from './approvals/rollback-caller.js';
import { AuditExporter } from './audit/audit-export.js';
import type { AuditLog } from './audit/audit-log.js';
import { AuditProofs } from './audit/audit-proofs.js';
import { AuditReader } from './audit/audit-reader.js';
import { RetentionSettings } from './audit/audit-retention.js';
import { AuditShredder } from './audit/audit-shred.js';
import { type AuditTrail, createAuditTrail } from './audit/audit-trail.js';
import { retentionJob } from './audit/retention-job.js';
import type { AuditServices } from './audit/routes/audit-schemas.js';
import { BudgetCache } from './budgets/budget-cache.js';
import { BudgetService } from './budgets/budget-service.js';
import { CrossingNotices } from './budgets/crossing-effects.js';
import { DecisionBudgets } from './budgets/decision-budgets.js';
import { reservationSweeper } from './budgets/reservation-sweeper.js';
import { Reservations } from './budgets/reservations.js';
import type { Config } from './config/config.js';
import { ConsoleSessions } from './console/console-sessions.js';
import { consoleSettings } from './console/console-settings.js';
import { buildConsoleReads, type ConsoleReads } from './console/read-services.js';
import { SessionAuthenticator } from './console/session-authenticator.js';
import { pruneConsoleSignIns } from './console/session-store.js';
import { AgentKeyService } from './credentials/agent-keys.js';
import { Authenticator } from './credentials/authenticator.js';
import { LastUsedTracker } from './credentials/last-used.js';
import { DecideService } from './decisions/decide-service.js';
import { DecisionReader } from './decisions/decision-reader.js';
import { DecisionRecorder } from './decisions/decision-recorder.js';
import { OutcomeService } from './decisions/outcome-service.js';
import { TaskHistory } from './decisions/task-history.js';
import { TaskOwners } from './decisions/task-owners.js';
import { DelegationService } from './delegation/delegation-service.js';
import { DelegationGrants } from './delegation/delegation-store.js';
import { driftNotices } from './drift/drift-notices.js';
import { DriftService } from './drift/drift-service.js';
import { KillService } from './kill/kill-service.js';
import { TenantState } from './kill/tenant-state.js';
import type { Closers } from './lifecycle/closers.js';
import { PeriodicWorker } from './lifecycle/periodic-worker.js';
import type { Worker } from './lifecycle/worker.js';
import { RateLimitCache } from './limits/rate-limit-cache.js';
import { createRateLimiter } from './limits/rate-limit-gate.js';
import { RateLimitService } from './limits/rate-limit-service.js';
import { LlmProxy } from './llm/llm-proxy.js';
import type { ProviderEntry } from './llm/provider-entry.js';
import { ProviderRegistry } from './llm/provider-registry.js';
import { llmProviderKind } from './llm/provider-service.js';
import { ManagedEntries } from './managed/managed-entries.js';
import { AgentTools } from './mcp/agent-tools.js';
import { McpGateway } from './mcp/gateway.js';
import type { ServerEntry } from './mcp/server-entry.js';
import { mcpServerKind } from './mcp/server-service.js';
import { UpstreamPool } from './mcp/upstream-pool.js';
import { createNotifier } from './notify/create-notifier.js';
import type { DeliveryQueue } from './notify/delivery-queue.js';
import type { Notifier } from './notify/notifier.js';
import { buildPolicyChanges, type PolicyChanges } from './policies/policy-changes.js';
import { PolicyRegistry } from './policies/policy-registry.js';
import { PolicyService, policySync } from './policies/policy-service.js';
import { policyScheduleWorker } from './policies/schedule/policy-schedules.js';
import { shadowFlusher } from './policies/shadow/shadow-evaluator.js';
import { recertDeadlines } from './recert/recert-deadlines.js';
import { RecertExporter } from './recert/recert-export.js';
import { RecertService } from './recert/recert-service.js';
import { RecertSettingsStore } from './recert/recert-settings.js';
import type { RecertRouteServices } from './recert/routes/recert-routes.js';
import { SecretBox } from './secrets/secret-box.js';
import { PostgresSignals } from './signals/postgres-signals.js';
import { LocalSignals, type Signals } from './signals/signals.js';
import { buildStepUp } from './stepup/build-step-up.js';
import type { StepUpRouteDeps } from './stepup/routes/register.js';
import { StepUpService } from './stepup/step-up-service.js';
import { openStorage, type Storage } from './storage/database.js';
import { migrateToLatest } from './storage/migrate.js';
import { Telemetry } from './telemetry/telemetry.js';
import { GroupService } from './tenants/group-service.js';
import { HumanService } from './tenants/human-service.js';
import type { TenantRouteServices } from './tenants/routes/common.js';
import { TokenService } from './tenants/token-service.js';
import { TrustService } from './trust/trust-service.js';
import { trustSweep } from './trust/trust-sweep.js';
import { UsageStore } from './usage/usage-store.js';
import { WARDEN_VERSION } from './version.js';

export interface ServiceOptions {
  readonly log: FastifyBaseLogger;
  readonly clock: () => number;
  /** Replaces the configured notifier (tests). */
  readonly notifier?: Notifier;
  /** Separates cross-node signals of nodes that share a database but not a schema (tests). */
  readonly signalNamespace?: string;
  /** The base URL links in notifications point at (known once the node listens). */
  readonly publicUrl: () => string;
  /** Turns tracing on, exporting every span there as it ends (tests). */
  readonly traceExporter?: SpanExporter;
}

/** Every service of a node, and the workers that are not started yet. */
export interface Services {
  /** The node's time: every service reads this one (tests move it). */
  readonly clock: () => number;
  readonly storage: Storage;
  readonly signals: Signals;
  readonly auditTrail: AuditTrail;
  readonly audit: AuditLog;
  readonly registry: PolicyRegistry;
  readonly policies: PolicyService;
  /** Impact replays, notify-first schedules and shadow bundles of policy changes. */
  readonly policyChanges: PolicyChanges;
  readonly lastUsed: LastUsedTracker;
  readonly authenticator: Authenticator;
  /** The web console's session cookies (used by the auth hook when WARDEN_CONSOLE is on). */
  readonly sessionAuthenticator: SessionAuthenticator;
  /** The web console's sign-in, sessions and one-time sign-in links. */
  readonly consoleSessions: ConsoleSessions;
  readonly tenants: TenantRouteServices;
  readonly agents: AgentRouteServices;
  readonly agentKeys: AgentKeyService;
  readonly approvals: ApprovalService;
  readonly approvalReader: ApprovalReader;
  readonly stepUp: StepUpRouteDeps;
  readonly approvalWatch: ApprovalWatch;
  readonly access: AccessService;
  readonly grants: GrantService;
  readonly deliveries: DeliveryQueue;
  readonly kill: KillService;
  readonly decide: DecideService;
  readonly delegations: DelegationService;
  readonly outcomes: OutcomeService;
  readonly decisions: DecisionReader;
  readonly budgets: BudgetService;
  readonly rateLimits: RateLimitService;
  readonly anomaly: AnomalyRouteServices;
  readonly auditServices: AuditServices;
  /** The MCP gateway: upstream servers per tenant and the agent-facing endpoint. */
  readonly mcp: McpGateway;
  /** The upstream servers' definitions: the servers file's and the API's. */
  readonly mcpServers: ManagedEntries<ServerEntry>;
  /** The LLM proxy: model providers per tenant and the governed model calls. */
  readonly llm: LlmProxy;
  /** The model providers' definitions: the providers file's and the API's. */
  readonly llmProviders: ManagedEntries<ProviderEntry>;
  /** The console's read models (overview, capabilities, policy history, budget usage, anomalies). */
  readonly consoleReads: ConsoleReads;
  readonly reservationSweeper: PeriodicWorker<number>;
  /** Permission drift: each agent's permissions against what it used. */
  readonly drift: DriftService;
  /** Recertification campaigns, their export and the tenant's settings. */
  readonly recert: RecertRouteServices;
  /** Trust tiers: criteria, standing, reported incidents, demotion on a hard budget overrun. */
  readonly trust: TrustService;
  /** The daily trust evaluation (promotions). */
  readonly trustSweep: PeriodicWorker<number>;
  /** The node's metrics registry and tracer (each may be off). */
  readonly telemetry: Telemetry;
  /** In start order; createNode stops them in reverse. */
  readonly workers: readonly Worker[];
}

const USAGE_PRUNE_INTERVAL_MS = 10 * 60_000;
const LAST_USED_FLUSH_INTERVAL_MS = 10_000;
const MCP_SESSION_SWEEP_INTERVAL_MS = 60_000;
const CONSOLE_PRUNE_INTERVAL_MS = 10 * 60_000;
/** Ended console sessions and codes stay a day, so a person can still see why they were signed out. */
const CONSOLE_PRUNE_GRACE_MS = 86_400_000;

export async function buildServices(
  config: Config,
  options: ServiceOptions,
  closers: Closers,
): Promise<Services> {
  const { log, clock } = options;
  const storage = openStorage(config);
  closers.push('storage', () => storage.close());
  // Closed just before storage: every span of the node has ended by then, and is flushed.
  const telemetry = new Telemetry(config, {
    storage,
    version: WARDEN_VERSION,
    clock,
    log,
    ...(options.traceExporter ? { traceExporter: options.traceExporter } : {}),
  });
  closers.push('telemetry', () => telemetry.close());
  await migrateToLatest(storage);
  const signals: Signals =
    storage.dialect === 'postgres' && storage.postgresUrl
      ? await PostgresSignals.connect(storage.postgresUrl, log, options.signalNamespace)
      : new LocalSignals();
  closers.push('signals', () => signals.close());
  const auditTrail = await createAuditTrail({ config, storage, signals, clock, log });
  closers.push('audit trail', () => auditTrail.close());
  const rateLimiter = await createRateLimiter(config, log);
  closers.push('rate limiter', () => rateLimiter.close());

  const lastUsed = new LastUsedTracker(storage);
  const authenticator = new Authenticator(storage, signals, lastUsed, config.credentialCacheTtlMs, clock);
  const audit = telemetry.metrics ? telemetry.metrics.timedAudit(auditTrail.log) : auditTrail.log;
  const sessionSettings = consoleSettings(config);
  const sessionAuthenticator = new SessionAuthenticator(storage, lastUsed, sessionSettings.idleMs, clock);
  const consoleSessions = new ConsoleSessions({
    storage,
    audit,
    settings: sessionSettings,
    publicUrl: options.publicUrl,
    clock,
  });
  const agentCache = new AgentCache(storage, signals, config.credentialCacheTtlMs, clock);
  const registry = new PolicyRegistry();
  const policies = new PolicyService(storage, registry, audit, signals, log, clock);

  const notifications = createNotifier({ config, storage, log, clock });
  const notifier = options.notifier ?? notifications.notifier;
  const approvalOptions: ApprovalOptions = {
    get publicUrl() {
      return options.publicUrl();
    },
    grantTtlSeconds: config.approvalGrantTtlSeconds,
    maxTimeoutSeconds: config.approvalMaxTimeoutSeconds,
    onCallFirstSeconds: config.onCallFirstSeconds,
    // A security or legal group that does not exist yet falls back to people with the role.
    fallbackRoles: { [config.approvalSecurityGroup]: ['security'], [config.approvalLegalGroup]: ['admin'] },
  };
  const secretBox = await SecretBox.load(config.secretsKeyFile);
  const stepUp = buildStepUp({ config, storage, audit, secretBox, approvalOptions, log, clock });
  const approvals = new ApprovalService({
    storage,
    audit,
    signals,
    notifier,
    freshIdentity: stepUp.gate,
    stageListener: stepUp.requests,
    rollbacks: new WebhookRollbackCaller(config.webhookSecret, log, config.webhookRetryBaseMs),
    log,
    clock,
    options: approvalOptions,
    ...(telemetry.metrics
      ? {
          onDecided: (request) =>
            telemetry.metrics?.approvalWait.observe(
              { status: request.status },
              Math.max(0, ((request.decidedAt ?? clock()) - request.createdAt) / 1_000),
            ),
        }
      : {}),
  });
  // Step-up sends still in flight (retrying a product's hook) finish before storage closes.
  closers.push('step-up requests', () => stepUp.requests.idle());
  const registrations = new Registrations(approvals, approvalOptions, {
    securityGroup: config.approvalSecurityGroup,
    legalGroup: config.approvalLegalGroup,
  });
  const approvalWatch = new ApprovalWatch(signals);
  const approvalReader = new ApprovalReader(storage, approvalWatch, approvalOptions);

  const policyChanges = buildPolicyChanges({
    storage,
    policies,
    registry,
    subjects: auditTrail.sealer,
    audit,
    signals,
    notifier,
    log,
    clock,
  });

  const usage = new UsageStore(storage);
  const recorder = new DecisionRecorder(storage, audit, usage);
  // Decisions answered but not yet committed must reach storage before it closes.
  closers.push('decision recorder', () => recorder.idle());
  const kill = new KillService({ storage, audit, signals, notifier, log, clock });
  const budgetCache = new BudgetCache(storage, signals, config.credentialCacheTtlMs, clock);
  const trust = new TrustService({ storage, audit, signals, notifier, log, clock });
  const crossings = new CrossingNotices({ storage, notifier, suspender: kill, log, trust });
  const reservations = new Reservations(budgetCache);
  const budgets = new BudgetService({
    storage,
    audit,
    signals,
    cache: budgetCache,
    defaultThresholds: config.budgetThresholds,
    clock,
  });
  const breaker = new CircuitBreaker({ storage, usage, audit, signals, notifier, clock, log, config });
  const rateLimitService = new RateLimitService({ storage, audit, signals, clock });
  const grantCache = new GrantCache(storage, signals, config.credentialCacheTtlMs);
  const decideService = new DecideService({
    grants: grantCache,
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
    history: new TaskHistory(storage),
    delegations: new DelegationGrants(storage.db),
    tenants: new TenantState(storage, signals, config.credentialCacheTtlMs, clock),
    budgets: new DecisionBudgets(budgetCache, config.reservationTimeoutSeconds * 1000),
    rateLimits: {
      rules: new RateLimitCache(storage, signals, config.credentialCacheTtlMs, clock),
      limiter: rateLimiter,
    },
    crossings,
    protection: auditTrail.protection,
    log,
    clock,
    telemetry,
    shadow: policyChanges.shadowEvaluator,
  });
  const outcomes = new OutcomeService({
    storage,
    audit,
    usage,
    protection: auditTrail.protection,
    maxOutputBytes: config.auditMaxOutputBytes,
    reservations,
    crossings,
    breaker,
    log,
    clock,
  });

  const pool = new UpstreamPool(log, secretBox, process.env, clock);
  const agentTools = new AgentTools({ pool, registry, agents: agentCache, grants: grantCache, log, clock });
  const mcp = new McpGateway(
    {
      storage,
      decide: decideService,
      outcomes,
      pool,
      agentTools,
      maxResultBytes: config.mcpMaxResultBytes,
      approvals: approvalReader,
      holdMs: config.mcpHoldSeconds * 1_000,
      holdTickMs: config.mcpHoldProgressSeconds * 1_000,
      log,
      clock,
      telemetry,
    },
    signals,
    log,
  );
  closers.push('mcp gateway', () => mcp.close());
  const llm = new LlmProxy(
    {
      storage,
      decide: decideService,
      outcomes,
      providers: new ProviderRegistry(pool.box),
      visibility: (principal) => agentTools.visibility(principal),
      log,
    },
    {
      storage,
      audit,
      budgets: budgetCache,
      reservations,
      crossings,
      protection: auditTrail.protection,
      maxOutputBytes: config.auditMaxOutputBytes,
      reservationTtlMs: config.reservationTimeoutSeconds * 1000,
      clock,
      random: Math.random,
    },
  );
  closers.push('llm proxy', () => llm.close());
  const llmProviders = new ManagedEntries(
    llmProviderKind(llm.deps.providers, config.apiUpstreamNetworks === 'public'),
    {
      storage,
      audit,
      signals,
      box: pool.box,
      log,
      clock,
    },
  );
  const mcpServers = new ManagedEntries(
    mcpServerKind(pool, config.mcpApiCommands, config.apiUpstreamNetworks === 'public'),
    {
      storage,
      audit,
      signals,
      box: pool.box,
      log,
      clock,
    },
  );

  const tenantDeps = { storage, audit, signals, clock };
  const agentDeps: AgentDeps = { storage, audit, signals, notifier, log, clock, registrations };
  const signing = {
    storage,
    checkpointer: auditTrail.checkpointer,
    verifierKey: auditTrail.signingKey.verifierKey,
    origin: auditTrail.origin,
  };

  const lifecycle = new AgentLifecycle(agentDeps);
  const drift = new DriftService({
    storage,
    registry,
    mcpTools: (tenantId) => pool.tools(tenantId),
    clock,
  });
  const recert: RecertRouteServices = {
    recert: new RecertService({
      storage,
      audit,
      signals,
      notifier,
      drift,
      lifecycle,
      log,
      clock,
      publicUrl: options.publicUrl,
    }),
    exporter: new RecertExporter({ storage, audit, clock }),
    settings: new RecertSettingsStore({ storage, audit, clock }),
  };

  const sweeper = reservationSweeper({
    storage,
    audit,
    reservations,
    crossings,
    clock,
    intervalMs: config.budgetSweepIntervalMs,
    log,
  });
  const trustSweeper = trustSweep({
    storage,
    audit,
    signals,
    notifier,
    approvals,
    approvalOptions,
    securityGroup: config.approvalSecurityGroup,
    clock,
    intervalMs: config.trustSweepIntervalMs,
    log,
  });
  // The queue first: the jobs after it notify through it, so it must stop after them.
  const workers: Worker[] = [
    auditTrail.checkpointer,
    notifications.queue,
    new PeriodicWorker({
      name: 'last-used flusher',
      intervalMs: LAST_USED_FLUSH_INTERVAL_MS,
      runOnStop: true,
      log,
      pass: () => lastUsed.flush(),
    }),
    retentionJob({ storage, auditTrail, signals, clock, log }),
    anomalyMonitor({ storage, usage, audit, notifier, clock, log, config }),
    sweeper,
    deadlineSweeper({ storage, approvals, clock, intervalMs: config.approvalSweepIntervalMs, log }),
    policySync(policies, config.policySyncIntervalMs, log, () => policyChanges.shadows.syncAll()),
    policyScheduleWorker(policyChanges.schedules, config.policySyncIntervalMs, log),
    shadowFlusher(policyChanges.shadowEvaluator, Math.min(config.policySyncIntervalMs, 1_000), log),
    new PeriodicWorker({
      name: 'mcp session sweep',
      intervalMs: MCP_SESSION_SWEEP_INTERVAL_MS,
      log,
      pass: () => mcp.sweepSessions(),
    }),
    new PeriodicWorker({
      name: 'usage prune',
      intervalMs: USAGE_PRUNE_INTERVAL_MS,
      log,
      pass: () => usage.prune(clock()),
    }),
    new PeriodicWorker({
      name: 'console session prune',
      intervalMs: CONSOLE_PRUNE_INTERVAL_MS,
      log,
      pass: () => pruneConsoleSignIns(storage, clock(), sessionSettings.idleMs, CONSOLE_PRUNE_GRACE_MS),
    }),
    recertDeadlines({ storage, audit, signals, notifier, log, clock }, config.recertSweepIntervalMs),
    driftNotices({ storage, audit, drift, notifier, log, clock }),
    trustSweeper,
  ];

  return {
    clock,
    storage,
    signals,
    auditTrail,
    audit,
    registry,
    policies,
    policyChanges,
    lastUsed,
    authenticator,
    sessionAuthenticator,
    consoleSessions,
    tenants: {
      storage,
      humans: new HumanService(tenantDeps),
      tokens: new TokenService(tenantDeps),
      groups: new GroupService(tenantDeps),
    },
    agents: {
      agents: new AgentService(agentDeps),
      lifecycle,
      spawner: new AgentSpawner(agentDeps, agentCache),
    },
    agentKeys: new AgentKeyService({ storage, audit, signals, clock }),
    approvals,
    approvalReader,
    approvalWatch,
    stepUp: {
      service: new StepUpService({
        storage,
        audit,
        approvals,
        secrets: stepUp.secrets,
        requests: stepUp.requests,
        clock,
        proofTtlSeconds: config.reauthTtlSeconds,
      }),
      secrets: stepUp.secrets,
      hooks: stepUp.hooks,
    },
    access: new AccessService({
      storage,
      approvals,
      options: approvalOptions,
      maxDurationSeconds: config.accessMaxDurationSeconds,
      securityGroup: config.approvalSecurityGroup,
      clock,
    }),
    grants: new GrantService({ storage, audit, signals, clock }),
    deliveries: notifications.queue,
    kill,
    decide: decideService,
    delegations: new DelegationService({ storage, audit, clock }),
    outcomes,
    decisions: new DecisionReader(storage),
    budgets,
    rateLimits: rateLimitService,
    anomaly: { baselines: new BaselineReader(storage, usage, config, clock), breaker },
    mcp,
    mcpServers,
    llm,
    llmProviders,
    auditServices: {
      reader: new AuditReader(storage, auditTrail.sealer),
      proofs: new AuditProofs(signing),
      exporter: new AuditExporter({ ...signing, sealer: auditTrail.sealer, clock }),
      shredder: new AuditShredder({ storage, log: auditTrail.log, keys: auditTrail.keys, signals, clock }),
      retention: new RetentionSettings(storage, auditTrail.log, clock),
    },
    consoleReads: buildConsoleReads({
      storage,
      budgets,
      approvals: approvalReader,
      sealer: auditTrail.sealer,
      registry,
      pool,
      grants: grantCache,
      clock,
    }),
    reservationSweeper: sweeper,
    drift,
    recert,
    trust,
    trustSweep: trustSweeper,
    telemetry,
    workers,
  };
}
