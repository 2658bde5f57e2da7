import {
  type Client,
  ProtocolError as GatewayProtocolError,
  type Progress,
} from '@modelcontextprotocol/client';
import {
  type CallToolRequest,
  type CallToolResult,
  type ListToolsResult,
  ProtocolError,
  ProtocolErrorCode,
  Server,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { VERSION } from '../version.js';
import { type GatewayLink, GatewayUnavailable } from './gateway-link.js';
import { withoutHopMeta } from './hop-meta.js';

/**
 * How long one relayed call may take. The desktop client decides how long it waits and cancels
 * (the cancellation is relayed); the gateway bounds each upstream call by its server's timeout. This
 * is only the backstop for a call nobody cancels, and each progress notification restarts it.
 */
const CALL_TIMEOUT_MS = 60 * 60_000;

type ToolSchema = ListToolsResult['tools'][number]['outputSchema'];

/**
 * The stdio side of the bridge: MCP servers that answer `tools/list` and `tools/call` by asking the
 * gateway, with progress and cancellation relayed, and that pass the gateway's
 * `notifications/tools/list_changed` on. Only tools are served, as the gateway serves only tools.
 */
export class ToolRelay {
  private readonly servers = new Set<Server>();
  /** The output schemas of the tools last listed: the result projection for a client's era needs them. */
  private readonly outputSchemas = new Map<string, ToolSchema>();

  constructor(private readonly link: GatewayLink) {}

  /** A server for one stdio connection (`serveStdio` also makes one for a probe it then discards). */
  server(): Server {
    const instructions = this.link.instructions;
    const server = new Server(
      { name: 'warden', version: VERSION },
      { capabilities: { tools: { listChanged: true } }, ...(instructions ? { instructions } : {}) },
    );
    server.setRequestHandler('tools/list', (request, ctx) => this.listTools(request.params?.cursor, ctx));
    server.setRequestHandler('tools/call', (request, ctx) => this.callTool(server, request.params, ctx));
    this.servers.add(server);
    server.onclose = () => this.servers.delete(server);
    return server;
  }

  /** Tells the connected desktop client to list the tools again. */
  toolsChanged(): void {
    // A server whose client has not finished its handshake has no one to tell yet.
    for (const server of this.servers) void server.sendToolListChanged().catch(() => {});
  }

  private async listTools(cursor: string | undefined, ctx: ServerContext): Promise<ListToolsResult> {
    const signal = ctx.mcpReq.signal;
    const result = await this.relay(
      (gateway) => gateway.listTools(cursor === undefined ? undefined : { cursor }, { signal }),
      signal,
    );
    for (const tool of result.tools) this.outputSchemas.set(tool.name, tool.outputSchema);
    return withoutHopMeta(result);
  }

  private async callTool(
    server: Server,
    params: CallToolRequest['params'],
    ctx: ServerContext,
  ): Promise<CallToolResult> {
    const signal = ctx.mcpReq.signal;
    const progressToken = params._meta?.progressToken;
    // Sent one after another, and all before the result: progress after its result is dropped.
    let progressSent = Promise.resolve();
    const relayProgress = (progress: Progress) => {
      progressSent = progressSent.then(() =>
        ctx.mcpReq
          .notify({ method: 'notifications/progress', params: { ...progress, progressToken } })
          .catch(() => {}),
      );
    };
    const result = await this.relay(
      (gateway) =>
        gateway.callTool(withoutHopMeta(params), {
          signal,
          timeout: CALL_TIMEOUT_MS,
          ...(progressToken === undefined ? {} : { onprogress: relayProgress, resetTimeoutOnProgress: true }),
        }),
      signal,
    );
    await progressSent;
    // What a server built on the SDK does with every result: shaped for the era this client speaks.
    return server.projectCallToolResult(withoutHopMeta(result), this.outputSchemas.get(params.name));
  }

  /** Runs a request on the gateway; a failure is answered as a JSON-RPC error naming its cause. */
  private async relay<T>(request: (gateway: Client) => Promise<T>, signal: AbortSignal): Promise<T> {
    try {
      return await this.link.use(request, signal);
    } catch (error) {
      // The gateway's own error (unknown tool, a bad Warden context) is the client's to read as it is.
      if (error instanceof GatewayProtocolError)
        throw new ProtocolError(error.code, error.message, error.data);
      if (error instanceof GatewayUnavailable)
        throw new ProtocolError(ProtocolErrorCode.InternalError, error.message);
      throw error;
    }
  }
}
