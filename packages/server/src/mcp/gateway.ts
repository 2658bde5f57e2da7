import {
  createMcpHandler,
  isLegacyRequest,
  type McpHandlerRequestOptions,
  type McpHttpHandler,
} from '@modelcontextprotocol/server';
import { callerOf, type GatewayDeps, gatewayServer } from './gateway-server.js';
import { LegacySessions } from './legacy-sessions.js';

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

  constructor(deps: GatewayDeps, log: { warn(details: Record<string, unknown>, message: string): void }) {
    this.deps = { ...deps, stopping: this.stopping.signal };
    deps = this.deps;
    this.modern = createMcpHandler((ctx) => gatewayServer(deps, callerOf(ctx)), {
      legacy: 'reject',
      onerror: (error) => log.warn({ err: error }, 'mcp request failed'),
    });
    this.legacy = new LegacySessions((caller) => gatewayServer(deps, caller), deps.clock);
    // A changed tool list reaches open 2025 sessions and 2026 subscriptions alike.
    deps.pool.onToolsChanged((tenantId) => this.toolsChanged(tenantId));
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
  }

  get sessions(): number {
    return this.legacy.size;
  }

  sweepSessions(): Promise<void> {
    return this.legacy.sweep();
  }

  async close(): Promise<void> {
    await this.drain();
    await this.deps.pool.close();
  }
}
