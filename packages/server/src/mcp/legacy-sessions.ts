import { randomUUID } from 'node:crypto';
import {
  type AuthInfo,
  type Server,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { callerOf, type GatewayCaller } from './gateway-server.js';

/** Sessions one node keeps for 2025-era clients; past it the least recently used one is closed. */
const MAX_SESSIONS = 10_000;
/** A session unused this long is closed (its client starts a new one with `initialize`). */
export const SESSION_IDLE_MS = 30 * 60_000;

interface Session {
  readonly transport: WebStandardStreamableHTTPServerTransport;
  readonly server: Server;
  /** Only the key's agent, on the same endpoint, may use the session it opened. */
  readonly owner: string;
  readonly tenantId: string;
  lastSeen: number;
}

const ownerOf = (caller: GatewayCaller) =>
  `${caller.principal.tenantId}|${caller.principal.agentId}|${caller.server ?? ''}`;

/**
 * The 2025 revisions' Streamable HTTP: `initialize` opens a session (`Mcp-Session-Id`), later requests
 * and the GET notification stream name it, DELETE ends it. Each session has its own gateway server,
 * bound to the agent that opened it; another key naming the session gets "session not found".
 */
export class LegacySessions {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly serverFor: (caller: GatewayCaller) => Server,
    private readonly clock: () => number = Date.now,
  ) {}

  async fetch(request: Request, options: { parsedBody?: unknown; authInfo?: AuthInfo }): Promise<Response> {
    const caller = callerOf(options);
    const id = request.headers.get('mcp-session-id');
    if (id) {
      const session = this.sessions.get(id);
      if (!session || session.owner !== ownerOf(caller))
        return jsonRpcError(404, -32001, 'Session not found');
      session.lastSeen = this.clock();
      // Most recently used last, so the first entry is the one to close when the table is full.
      this.sessions.delete(id);
      this.sessions.set(id, session);
      return session.transport.handleRequest(request, options);
    }
    if (request.method !== 'POST' || !isInitialize(options.parsedBody)) {
      return jsonRpcError(
        400,
        -32000,
        'Bad Request: no valid Mcp-Session-Id; start a session with initialize',
      );
    }
    if (this.sessions.size >= MAX_SESSIONS) await this.closeOldest();
    const server = this.serverFor(caller);
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => {
        this.sessions.set(sessionId, {
          transport,
          server,
          owner: ownerOf(caller),
          tenantId: caller.principal.tenantId,
          lastSeen: this.clock(),
        });
      },
      onsessionclosed: (sessionId) => {
        this.sessions.delete(sessionId);
      },
    });
    await server.connect(transport);
    return transport.handleRequest(request, options);
  }

  /** Tells every session of the tenant that its tool list may have changed. */
  toolsChanged(tenantId: string): void {
    for (const session of this.sessions.values()) {
      if (session.tenantId === tenantId) void session.server.sendToolListChanged().catch(() => {});
    }
  }

  /** Closes the sessions unused for `SESSION_IDLE_MS`. */
  async sweep(): Promise<void> {
    const cutoff = this.clock() - SESSION_IDLE_MS;
    const idle = [...this.sessions].filter(([, s]) => s.lastSeen < cutoff);
    await Promise.all(idle.map(([id, s]) => this.end(id, s)));
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions].map(([id, s]) => this.end(id, s)));
  }

  private async closeOldest(): Promise<void> {
    const oldest = this.sessions.entries().next();
    if (!oldest.done) await this.end(...oldest.value);
  }

  private async end(id: string, session: Session): Promise<void> {
    this.sessions.delete(id);
    await session.server.close().catch(() => {});
  }
}

function isInitialize(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { method?: unknown }).method === 'initialize';
}

function jsonRpcError(status: number, code: number, message: string): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}
