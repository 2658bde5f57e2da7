import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { FastifyBaseLogger } from 'fastify';
import type { AuditLog } from './audit/audit-log.js';
import type { AuditTrail } from './audit/audit-trail.js';
import { applyBudgetsFile } from './budgets/apply-budgets-file.js';
import type { Config } from './config/config.js';
import type { ConsoleSessions } from './console/console-sessions.js';
import { consoleDir } from './console/static/console-dir.js';
import { consolePageFallback } from './console/static/serve-console.js';
import type { LastUsedTracker } from './credentials/last-used.js';
import { type App, type AppOptions, createApp } from './http/app.js';
import { createLogger } from './http/logger.js';
import { Closers } from './lifecycle/closers.js';
import type { LlmProxy } from './llm/llm-proxy.js';
import { readProvidersFile } from './llm/providers-file.js';
import type { McpGateway } from './mcp/gateway.js';
import { readServersFile } from './mcp/servers-file.js';
import type { Notifier } from './notify/notifier.js';
import type { PolicyChanges } from './policies/policy-changes.js';
import type { PolicyRegistry } from './policies/policy-registry.js';
import type { PolicyService } from './policies/policy-service.js';
import { registerRoutes } from './routes.js';
import { buildServices, type Services } from './services.js';
import type { Signals } from './signals/signals.js';
import type { Storage } from './storage/database.js';
import type { Telemetry } from './telemetry/telemetry.js';
import { type Bootstrap, ensureDefaultTenant } from './tenants/bootstrap.js';
import { WARDEN_VERSION } from './version.js';

export interface NodeOptions {
  /** Replaces Date.now for every service (tests). */
  readonly clock?: () => number;
  /** Replaces the configured notifier (tests). */
  readonly notifier?: Notifier;
  /** Separates cross-node signals of nodes that share a database but not a schema (tests). */
  readonly signalNamespace?: string;
  /** Replaces the logger made at WARDEN_LOG_LEVEL (tests read what the node logs). */
  readonly logger?: FastifyBaseLogger;
  /** Sees every route as it is added (tests). */
  readonly onRoute?: AppOptions['onRoute'];
  /** Turns tracing on whatever OTEL_* says, exporting each span here as it ends (tests). */
  readonly traceExporter?: SpanExporter;
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
  /** Impact replays, notify-first schedules and shadow bundles. */
  readonly policyChanges: PolicyChanges;
  readonly bootstrap: Bootstrap;
  /** Last-used times of keys and tokens and agents' last activity, written in the background. */
  readonly lastUsed: LastUsedTracker;
  /** The web console's sign-in: sessions and one-time sign-in links (`warden up` prints one). */
  readonly consoleSessions: ConsoleSessions;
  /** Settles stale budget reservations now (the background sweep does it every interval). */
  sweepReservations(): Promise<number>;
  /** Runs the daily trust evaluation now (the background sweep does it every interval). */
  sweepTrust(): Promise<number>;
  /** The MCP gateway (its upstreams, and `idle()` for the outcomes still being written). */
  readonly mcp: McpGateway;
  /** The LLM proxy (providers, outcomes still being written). */
  readonly llm: LlmProxy;
  /** The node's metrics registry and tracer (each may be off). */
  readonly telemetry: Telemetry;
  /** Starts listening; returns the base URL. */
  listen(): Promise<string>;
  /**
   * Stops accepting, lets in-flight requests finish, stops every worker (newest first, each awaited),
   * flushes, closes storage.
   */
  close(): Promise<void>;
}

/**
 * The composition root: builds every service (services.ts), brings the stored state up to the
 * config (default tenant, policies, budgets file), starts the workers and registers every route.
 * Whatever it acquired is on one stack of closers, unwound on close() and on a start that fails.
 */
export async function createNode(config: Config, options: NodeOptions = {}): Promise<WardenNode> {
  const clock = options.clock ?? Date.now;
  const log = options.logger ?? createLogger(config.logLevel, config.logFormat);
  const closers = new Closers(log);
  // Links in notifications use WARDEN_PUBLIC_URL, else the address this node listens on.
  let listeningUrl = `http://${config.host}:${config.port}`;
  try {
    const services = await buildServices(
      config,
      {
        log,
        clock,
        publicUrl: () => config.publicUrl ?? listeningUrl,
        ...(options.notifier ? { notifier: options.notifier } : {}),
        ...(options.signalNamespace !== undefined ? { signalNamespace: options.signalNamespace } : {}),
        ...(options.traceExporter ? { traceExporter: options.traceExporter } : {}),
      },
      closers,
    );
    const bootstrap = await startUp(config, services);
    for (const worker of services.workers) {
      worker.start();
      closers.push(worker.name, () => worker.stop());
    }
    // Last on the stack, so first to close: in-flight requests finish while everything still runs.
    const app = await createApp({
      logger: log,
      authenticator: services.authenticator,
      ...(config.console === 'on'
        ? {
            sessions: services.sessionAuthenticator,
            pages: consolePageFallback(consoleDir(config.consoleDir)),
          }
        : {}),
      version: WARDEN_VERSION,
      onRoute: options.onRoute,
    });
    closers.push('http server', () => app.close());
    await registerRoutes(app, services, config, bootstrap.tenant.id);

    return {
      config,
      app,
      storage: services.storage,
      signals: services.signals,
      audit: services.audit,
      auditTrail: services.auditTrail,
      policies: services.policies,
      registry: services.registry,
      policyChanges: services.policyChanges,
      bootstrap,
      lastUsed: services.lastUsed,
      consoleSessions: services.consoleSessions,
      sweepReservations: () => services.reservationSweeper.run(),
      sweepTrust: () => services.trustSweep.run(),
      mcp: services.mcp,
      llm: services.llm,
      telemetry: services.telemetry,
      async listen() {
        listeningUrl = await app.listen({ host: config.host, port: config.port });
        return listeningUrl;
      },
      close: () => closers.unwind(),
    };
  } catch (error) {
    // The start's own error is the one to report; a closer that fails as well is logged by unwind.
    await closers.unwind().catch(() => undefined);
    throw error;
  }
}

/**
 * The default tenant, every tenant's active policies, WARDEN_POLICY_DIR, WARDEN_BUDGETS_FILE and
 * WARDEN_MCP_SERVERS_FILE.
 */
async function startUp(config: Config, services: Services): Promise<Bootstrap> {
  const { storage, audit, policies } = services;
  const bootstrap = await ensureDefaultTenant(storage, audit, {
    slug: config.defaultTenant,
    adminEmail: config.adminEmail,
    dataDir: config.dataDir,
  });
  await policies.syncAll();
  await services.policyChanges.shadows.syncAll();
  if (config.policyDir) {
    const read = await policies.readDirectory(config.policyDir);
    const result = read.ok
      ? await policies.activate(bootstrap.tenant.id, read.files, { type: 'system', id: 'startup' })
      : read;
    if (!result.ok) {
      const first = result.issues[0];
      throw new Error(
        `WARDEN_POLICY_DIR ${config.policyDir}: ${result.message}; first: ${first?.file}:${first?.line}: ${first?.message}`,
      );
    }
  }
  await applyBudgetsFile(config, bootstrap.tenant.id, {
    budgets: services.budgets,
    rateLimits: services.rateLimits,
  });
  // Upstreams start on first use; here the servers are only checked and registered.
  const fileServers = config.mcpServersFile ? await readServersFile(config.mcpServersFile) : [];
  await services.mcpServers.start(new Map([[bootstrap.tenant.id, fileServers]]));
  const fileProviders = config.llmProvidersFile ? await readProvidersFile(config.llmProvidersFile) : [];
  await services.llmProviders.start(new Map([[bootstrap.tenant.id, fileProviders]]));
  return bootstrap;
}
