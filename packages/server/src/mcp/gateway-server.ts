import {
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  type InputRequiredResult,
  isInputRequiredResult,
  type ListToolsResult,
  type McpRequestContext,
  ProtocolError,
  ProtocolErrorCode,
  Server,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { AgentPrincipal } from '../credentials/principal.js';
import { callContext } from '../decisions/call-context.js';
import type { DecideContext } from '../decisions/decide-request.js';
import { WardenError } from '../errors.js';
import { WARDEN_VERSION } from '../version.js';
import type { AgentTools } from './agent-tools.js';
import {
  forwardCall,
  type GatewayCall,
  type GatewayCallDeps,
  governedCall,
  runCall,
  verdictOf,
} from './gateway-call.js';
import { traced } from './gateway-trace.js';
import type { RelayedCalls } from './relayed-call.js';
import type { Upstream } from './upstream.js';
import type { UpstreamPool } from './upstream-pool.js';
import { relaysToAgents } from './upstream-requests.js';

/** Who is asking, and through which endpoint: `/mcp` (every server) or `/mcp/<server>` (one). */
export interface GatewayCaller {
  readonly principal: AgentPrincipal;
  /** The one server of `/mcp/<server>`, whose tools go by their upstream names there. */
  readonly server?: string;
}

export interface GatewayDeps extends GatewayCallDeps {
  readonly pool: UpstreamPool;
  readonly agentTools: AgentTools;
  /** Calls whose upstream asked their agent for input, waiting for the agent's retry with answers. */
  readonly relays: RelayedCalls;
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
 * tools are the upstreams' tools this agent may be granted, and every call is governed. Resources and
 * prompts are governed as the tools `<server>.resources.read` (args `{uri}`) and `<server>.prompts.get`
 * (args `{name, arguments}`) and listed only where those are visible. Any other method is answered
 * "method not found", never passed through.
 */
export function gatewayServer(deps: GatewayDeps, caller: GatewayCaller): Server {
  const server = new Server(
    { name: 'warden', version: WARDEN_VERSION },
    {
      capabilities: { tools: { listChanged: true }, resources: {}, prompts: {} },
      instructions: INSTRUCTIONS,
    },
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

  server.setRequestHandler('tools/call', async (request, ctx: ServerContext) => {
    const { name } = request.params;
    const tool = wardenName(name);
    const target = deps.pool.resolve(principal.tenantId, tool);
    if (!target || (caller.server && target.upstream.name !== caller.server)) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `unknown tool ${JSON.stringify(name.slice(0, 200))}`,
      );
    }
    const context = contextOf(request.params._meta, ctx);
    const progressToken = request.params._meta?.progressToken;
    // Shaped for the client's protocol revision by the SDK's codec, against the upstream's own schema.
    const definition = (await target.upstream.tools().catch(() => [])).find(
      (t) => t.name === target.upstreamName,
    );
    try {
      return await traced(
        deps.telemetry,
        {
          method: 'tools/call',
          name: `execute_tool ${tool}`,
          attributes: {
            'gen_ai.operation.name': 'execute_tool',
            'gen_ai.tool.name': tool,
            'gen_ai.tool.type': 'extension',
            'warden.mcp.server': target.upstream.name,
          },
          meta: request.params._meta,
          ctx,
        },
        async (trace) => {
          const call: GatewayCall = {
            principal,
            tool,
            upstream: deps.pool.forAgent(target.upstream, principal.agentId),
            upstreamName: target.upstreamName,
            args: request.params.arguments,
            context,
            signal: ctx.mcpReq.signal,
            trace,
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
          };
          const result =
            ctx.mcpReq.requestState() !== undefined || relaysToAgents(target.upstream.entry)
              ? await relayedCall(deps, server, ctx, call)
              : await governedCall(deps, call);
          return isInputRequiredResult(result)
            ? result
            : server.projectCallToolResult(result, definition?.outputSchema);
        },
        verdictOfResult,
      );
    } catch (error) {
      throw asProtocolError(error);
    }
  });
  registerReads(server, deps, caller);
  return server;
}

/**
 * A call to a server whose entry relays sampling or elicitation to the agent (see `RelayedCalls`):
 * decided and started as any call, answered `input_required` when the upstream asks something, and
 * continued by the agent's retry that carries the call's `requestState` (never decided again). A
 * `requestState` that names no call of this agent's here is refused, whatever the server.
 */
async function relayedCall(
  deps: GatewayDeps,
  server: Server,
  ctx: ServerContext,
  call: GatewayCall,
): Promise<CallToolResult | InputRequiredResult> {
  const round = {
    signal: ctx.mcpReq.signal,
    capabilities: agentCapabilities(server, ctx),
    ...(call.onProgress ? { onProgress: call.onProgress } : {}),
  };
  const owner = {
    tenantId: call.principal.tenantId,
    agentId: call.principal.agentId,
    tool: call.tool,
    args: call.args,
  };
  const state = ctx.mcpReq.requestState();
  if (state !== undefined) {
    const resumed = deps.relays.resume(String(state), owner, ctx.mcpReq.inputResponses, round);
    if (!resumed) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        'requestState: no call of yours with this tool and these arguments waits on it here (it ended, or runs on another Warden node); call the tool again without it',
      );
    }
    return resumed;
  }
  return governedCall(deps, call, (decision) =>
    deps.relays.begin(
      owner,
      (relay, signal, onProgress) => forwardCall(deps, { ...call, relay, signal, onProgress }, decision),
      round,
    ),
  );
}

/** What the agent's client declared: on this request (2026-07-28), or when its session began (2025). */
function agentCapabilities(server: Server, ctx: ServerContext): ClientCapabilities | undefined {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const declared = envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined;
  return declared ?? server.getClientCapabilities();
}

/** resources/list, resources/read, prompts/list and prompts/get, each read decided like a tool call. */
function registerReads(server: Server, deps: GatewayDeps, caller: GatewayCaller): void {
  const { principal } = caller;

  server.setRequestHandler('resources/list', async () => {
    const upstreams = await deps.agentTools.readable(principal, 'resources.read', caller.server);
    const listed = await Promise.allSettled(upstreams.map((u) => u.resources()));
    return { resources: listed.flatMap((r) => (r.status === 'fulfilled' ? [...r.value] : [])) };
  });

  server.setRequestHandler('prompts/list', async () => {
    const upstreams = await deps.agentTools.readable(principal, 'prompts.get', caller.server);
    const listed = await Promise.allSettled(upstreams.map((u) => u.prompts()));
    return {
      prompts: listed.flatMap((r, i) =>
        r.status === 'fulfilled'
          ? r.value.map((p) => ({ ...p, name: caller.server ? p.name : `${upstreams[i]?.name}.${p.name}` }))
          : [],
      ),
    };
  });

  server.setRequestHandler('resources/read', async (request, ctx: ServerContext) => {
    const { uri } = request.params;
    const upstream = await resourceOwner(deps, caller, uri);
    return governedRead(deps, ctx, request.params._meta, {
      principal,
      upstream,
      kind: 'resources.read',
      args: { uri },
      send: (signal) => upstream.readResource(uri, signal),
    });
  });

  server.setRequestHandler('prompts/get', async (request, ctx: ServerContext) => {
    const { name, arguments: args } = request.params;
    const dot = name.indexOf('.');
    const serverName = caller.server ?? (dot > 0 ? name.slice(0, dot) : '');
    const promptName = caller.server ? name : name.slice(dot + 1);
    const upstream = deps.pool.get(principal.tenantId, serverName);
    if (!upstream) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `unknown prompt ${JSON.stringify(name.slice(0, 200))}`,
      );
    }
    return governedRead(deps, ctx, request.params._meta, {
      principal,
      upstream,
      kind: 'prompts.get',
      args: { name: promptName, ...(args ? { arguments: args } : {}) },
      send: (signal) => upstream.getPrompt(promptName, args, signal),
    });
  });
}

/** Which upstream serves a resource: the endpoint's one server, or the one that listed the URI. */
async function resourceOwner(deps: GatewayDeps, caller: GatewayCaller, uri: string): Promise<Upstream> {
  const { tenantId } = caller.principal;
  if (caller.server) {
    const only = deps.pool.get(tenantId, caller.server);
    if (only) return only;
  }
  for (const upstream of deps.pool.servers(tenantId)) {
    const resources = await upstream.resources().catch(() => []);
    if (resources.some((r) => r.uri === uri)) return upstream;
  }
  throw new ProtocolError(
    ProtocolErrorCode.InvalidParams,
    `unknown resource ${JSON.stringify(uri.slice(0, 300))}`,
  );
}

interface Read<T> {
  readonly principal: AgentPrincipal;
  readonly upstream: Upstream;
  readonly kind: 'resources.read' | 'prompts.get';
  readonly args: Record<string, unknown>;
  readonly send: (signal: AbortSignal) => Promise<T>;
}

/**
 * A resource read or prompt fetch, decided as the tool `<server>.<kind>`: run and recorded when
 * allowed; otherwise a JSON-RPC error with the reason (these results have no error form of their own).
 */
async function governedRead<T>(
  deps: GatewayDeps,
  ctx: ServerContext,
  meta: unknown,
  read: Read<T>,
): Promise<T> {
  const context = contextOf(meta, ctx);
  const tool = `${read.upstream.name}.${read.kind}`;
  const method = read.kind === 'resources.read' ? 'resources/read' : 'prompts/get';
  const prompt = read.kind === 'prompts.get' ? String(read.args.name) : undefined;
  try {
    return await traced(
      deps.telemetry,
      {
        method,
        name: prompt ? `${method} ${prompt}` : method,
        attributes: {
          'gen_ai.tool.name': tool,
          'warden.mcp.server': read.upstream.name,
          ...(prompt ? { 'gen_ai.prompt.name': prompt } : {}),
          ...(read.kind === 'resources.read' ? { 'mcp.resource.uri': String(read.args.uri) } : {}),
        },
        meta,
        ctx,
      },
      (trace) =>
        governedReadCall(deps, ctx, read, {
          principal: read.principal,
          tool,
          upstream: read.upstream,
          upstreamName: read.kind,
          args: read.args,
          context,
          signal: ctx.mcpReq.signal,
          trace,
        }),
      () => 'allowed',
    );
  } catch (error) {
    throw asProtocolError(error);
  }
}

/**
 * The governed read itself: decided, run when allowed; a refusal, a wait for a human or an upstream
 * failure is a JSON-RPC error carrying its verdict (for the gateway's metrics and span).
 */
async function governedReadCall<T>(
  deps: GatewayDeps,
  ctx: ServerContext,
  read: Read<T>,
  call: GatewayCall,
): Promise<T> {
  const verdict = await verdictOf(deps, call);
  if (verdict.kind === 'refused') {
    throw Object.assign(new ProtocolError(ProtocolErrorCode.InvalidRequest, verdict.text), {
      verdict: 'denied',
    });
  }
  if (verdict.kind === 'pending') {
    throw Object.assign(
      new ProtocolError(
        ProtocolErrorCode.InvalidRequest,
        `This read needs a human's approval (${verdict.decision.reason}). Approval request ${verdict.approvalId} is waiting; ask again with the same arguments once it is approved.`,
      ),
      { verdict: 'pending' },
    );
  }
  const { result, failure } = await runCall(deps, call, verdict.decision, () => read.send(ctx.mcpReq.signal));
  if (failure) {
    throw Object.assign(new ProtocolError(ProtocolErrorCode.InternalError, failure), { verdict: 'failed' });
  }
  return result as T;
}

/** How a governed tool call ended, from the result the agent gets. */
function verdictOfResult(
  result: CallToolResult | InputRequiredResult,
): 'allowed' | 'denied' | 'pending' | 'failed' {
  const meta = (result as { _meta?: Record<string, unknown> })._meta;
  const effect = (meta?.['warden/decision'] as { effect?: string } | undefined)?.effect;
  if (effect === 'deny') return 'denied';
  if (effect === 'review') return 'pending';
  return (result as CallToolResult).isError === true ? 'failed' : 'allowed';
}

/** The request's task context, or the JSON-RPC error naming the bad field (nothing is decided). */
function contextOf(meta: unknown, ctx: ServerContext): DecideContext {
  try {
    return callContext(meta, ctx.http?.req?.headers);
  } catch (error) {
    throw asProtocolError(error);
  }
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
