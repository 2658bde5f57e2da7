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
  private readonly modern: McpHttpHandler;
  private readonly legacy: LegacySessions;

  constructor(
    readonly deps: GatewayDeps,
    log: { warn(details: Record<string, unknown>, message: string): void },
  ) {
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

  get sessions(): number {
    return this.legacy.size;
  }

  sweepSessions(): Promise<void> {
    return this.legacy.sweep();
  }

  async close(): Promise<void> {
    await this.legacy.close();
    await this.modern.close();
    await this.deps.pool.close();
  }
}
