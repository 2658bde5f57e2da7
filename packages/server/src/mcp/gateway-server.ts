import {
  type CallToolResult,
  type ListToolsResult,
  type McpRequestContext,
  ProtocolError,
  ProtocolErrorCode,
  Server,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { AgentPrincipal } from '../credentials/principal.js';
import { WardenError } from '../errors.js';
import { WARDEN_VERSION } from '../version.js';
import type { AgentTools } from './agent-tools.js';
import { callContext } from './call-context.js';
import { type GatewayCallDeps, governedCall } from './gateway-call.js';
import type { UpstreamPool } from './upstream-pool.js';

/** Who is asking, and through which endpoint: `/mcp` (every server) or `/mcp/<server>` (one). */
export interface GatewayCaller {
  readonly principal: AgentPrincipal;
  /** The one server of `/mcp/<server>`, whose tools go by their upstream names there. */
  readonly server?: string;
}

export interface GatewayDeps extends GatewayCallDeps {
  readonly pool: UpstreamPool;
  readonly agentTools: AgentTools;
}

const INSTRUCTIONS =
  'Tools here pass Warden, which decides each call under your organisation’s policies before it runs. ' +
  'A refused call says why; a call that needs a human says so and runs once approved when you call it again.';

/** The caller as the HTTP layer hands it over, in the SDK's pass-through auth info. */
export function callerOf(ctx: Pick<McpRequestContext, 'authInfo'>): GatewayCaller {
  const caller = ctx.authInfo?.extra?.caller as GatewayCaller | undefined;
  if (!caller) throw new WardenError('internal', 'MCP request without an authenticated agent');
  return caller;
}

/**
 * The MCP server an agent talks to, one instance per request (2026-07-28) or per session (2025): its
 * tools are the upstreams' tools this agent may be granted, and every call is governed.
 * Only tools are served; any other method is answered "method not found", never passed through.
 */
export function gatewayServer(deps: GatewayDeps, caller: GatewayCaller): Server {
  const server = new Server(
    { name: 'warden', version: WARDEN_VERSION },
    { capabilities: { tools: { listChanged: true } }, instructions: INSTRUCTIONS },
  );
  const { principal } = caller;
  const wardenName = (name: string) => (caller.server ? `${caller.server}.${name}` : name);

  server.setRequestHandler('tools/list', async (): Promise<ListToolsResult> => {
    const tools = await deps.agentTools.list(principal, caller.server);
    return {
      tools: tools.map((tool) => ({
        ...tool.definition,
        name: caller.server ? tool.upstreamName : tool.name,
      })),
    };
  });

  server.setRequestHandler('tools/call', async (request, ctx: ServerContext): Promise<CallToolResult> => {
    const { name } = request.params;
    const tool = wardenName(name);
    const target = deps.pool.resolve(principal.tenantId, tool);
    if (!target || (caller.server && target.upstream.name !== caller.server)) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `unknown tool ${JSON.stringify(name.slice(0, 200))}`,
      );
    }
    let context: ReturnType<typeof callContext>;
    try {
      context = callContext(request.params._meta, ctx.http?.req?.headers);
    } catch (error) {
      throw asProtocolError(error);
    }
    const progressToken = request.params._meta?.progressToken;
    // Shaped for the client's protocol revision by the SDK's codec, against the upstream's own schema.
    const definition = (await target.upstream.tools().catch(() => [])).find(
      (t) => t.name === target.upstreamName,
    );
    try {
      const result = await governedCall(deps, {
        principal,
        tool,
        upstream: target.upstream,
        upstreamName: target.upstreamName,
        args: request.params.arguments,
        context,
        signal: ctx.mcpReq.signal,
        ...(progressToken !== undefined
          ? {
              onProgress: (progress: number, total?: number, message?: string) =>
                void ctx.mcpReq
                  .notify({
                    method: 'notifications/progress',
                    params: {
                      progressToken,
                      progress,
                      ...(total !== undefined ? { total } : {}),
                      ...(message ? { message } : {}),
                    },
                  })
                  .catch(() => {}),
            }
          : {}),
      });
      return server.projectCallToolResult(result, definition?.outputSchema);
    } catch (error) {
      throw asProtocolError(error);
    }
  });
  return server;
}

/**
 * A refusal before anything was decided (bad context, bad arguments) as a JSON-RPC error naming the
 * field; Warden being unable to decide is a tool error saying the call was denied (fail closed).
 */
function asProtocolError(error: unknown): unknown {
  if (!(error instanceof WardenError)) return error;
  if (error.code === 'governance_unavailable') {
    return new ProtocolError(ProtocolErrorCode.InternalError, `${error.message} (governance_unavailable)`);
  }
  if (error.code === 'invalid_request' || error.code === 'payload_too_large' || error.code === 'conflict') {
    return new ProtocolError(ProtocolErrorCode.InvalidParams, error.message);
  }
  return new ProtocolError(ProtocolErrorCode.InvalidRequest, `${error.message} (${error.code})`);
}
