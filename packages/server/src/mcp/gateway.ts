import {
  createMcpHandler,
  isLegacyRequest,
  type McpHandlerRequestOptions,
  type McpHttpHandler,
} from '@modelcontextprotocol/server';
import type { Signals } from '../signals/signals.js';
import { callerOf, type GatewayDeps, gatewayServer } from './gateway-server.js';
import { LegacySessions } from './legacy-sessions.js';
import { RelayedCalls } from './relayed-call.js';

/** The signals after which an agent's visible tools may differ. */
const LIST_CHANGES = new Set(['policy.activated', 'agent.changed', 'grants.changed', 'tenant.changed']);

/**
 * The agent-facing MCP endpoint on the official SDK: requests of the 2026-07-28 revision are served
 * statelessly, one gateway server per request (`createMcpHandler`); 2025-era clients get the
 * sessions they expect (`LegacySessions`), so their GET stream carries `tools/list_changed`. Both
 * eras are served by the same `gatewayServer`, so they cannot drift apart.
 */
export class McpGateway {
  readonly deps: GatewayDeps;
  private readonly modern: McpHttpHandler;
  private readonly legacy: LegacySessions;
  private readonly stopping = new AbortController();
  /** Outcomes of forwarded calls still being written. */
  private readonly writing = new Set<Promise<void>>();

  constructor(
    deps: Omit<GatewayDeps, 'stopping' | 'track' | 'relays'>,
    signals: Pick<Signals, 'subscribe'>,
    log: { warn(details: Record<string, unknown>, message: string): void },
  ) {
    this.deps = {
      ...deps,
      stopping: this.stopping.signal,
      relays: new RelayedCalls(),
      track: (write) => {
        this.writing.add(write);
        void write.finally(() => this.writing.delete(write));
      },
    };
    const full = this.deps;
    this.modern = createMcpHandler((ctx) => gatewayServer(full, callerOf(ctx)), {
      legacy: 'reject',
      onerror: (error) => log.warn({ err: error }, 'mcp request failed'),
    });
    this.legacy = new LegacySessions((caller) => gatewayServer(full, caller), deps.clock);
    // A changed tool list reaches open 2025 sessions and 2026 subscriptions alike: an upstream's own
    // list, or what decides which tools an agent sees (the policy, an agent, its grants), on any node.
    deps.pool.onToolsChanged((tenantId) => this.toolsChanged(tenantId));
    signals.subscribe((signal) => {
      if (LIST_CHANGES.has(signal.type) && 'tenantId' in signal) this.toolsChanged(signal.tenantId);
    });
  }

  /** Serves one HTTP request of an authenticated agent (its caller in `options.authInfo`). */
  async fetch(request: Request, options: McpHandlerRequestOptions): Promise<Response> {
    const legacy = await isLegacyRequest(request, options.parsedBody);
    return legacy ? this.legacy.fetch(request, options) : this.modern.fetch(request, options);
  }

  /** Tells connected clients of the tenant to list tools again (policy, agent, grants or upstreams changed). */
  toolsChanged(tenantId: string): void {
    this.legacy.toolsChanged(tenantId);
    // The 2026 subscription bus is per handler, not per tenant: other tenants' clients list again too,
    // which costs them a tools/list and tells them nothing.
    this.modern.notify.toolsChanged();
  }

  /**
   * Before the HTTP server closes (it waits for requests in flight): held calls are answered pending
   * and 2025 sessions closed, ending their open notification streams. Calls already forwarded finish.
   */
  async drain(): Promise<void> {
    this.stopping.abort();
    await Promise.all([this.legacy.close(), this.modern.close()]);
    await this.idle();
  }

  /** Resolves once the outcomes of the calls forwarded so far are written. */
  async idle(): Promise<void> {
    while (this.writing.size > 0) await Promise.all(this.writing);
  }

  /** Closes idle 2025 sessions and the idle connections agents had of their own to upstreams. */
  async sweepSessions(): Promise<void> {
    await Promise.all([this.legacy.sweep(), this.deps.pool.sweepIdle()]);
  }

  async close(): Promise<void> {
    await this.drain();
    this.deps.relays.clear();
    await this.deps.pool.close();
  }
}
