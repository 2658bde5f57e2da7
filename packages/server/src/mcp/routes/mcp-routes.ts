import { toNodeHandler } from '@modelcontextprotocol/node';
import {
  hostHeaderValidationResponse,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  originValidationResponse,
} from '@modelcontextprotocol/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { agentOf } from '../../http/auth.js';
import type { McpGateway } from '../gateway.js';
import type { GatewayCaller } from '../gateway-server.js';

export interface McpRouteOptions {
  readonly gateway: McpGateway;
  /** Host names the endpoint answers to besides localhost's (DNS rebinding guard). */
  readonly allowedHosts: readonly string[];
  /** Host names of browser origins allowed besides localhost's. */
  readonly allowedOrigins: readonly string[];
}

const ServerParam = Type.Object({ server: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,39}$' }) });

/**
 * `/mcp` (every upstream server the agent may use, tools named `<server>.<tool>`) and `/mcp/:server`
 * (one server, tools under their upstream names), Streamable HTTP for agents holding a Warden key.
 * Host and Origin are checked before anything else; then the SDK answers the protocol.
 */
export function registerMcpRoutes(app: App, options: McpRouteOptions) {
  const hosts = [...localhostAllowedHostnames(), ...options.allowedHosts];
  const origins = [...localhostAllowedOrigins(), ...options.allowedOrigins];
  const { gateway } = options;
  const node = toNodeHandler(
    {
      fetch: async (request, handlerOptions = {}) =>
        hostHeaderValidationResponse(request, hosts) ??
        originValidationResponse(request, origins) ??
        gateway.fetch(request, handlerOptions),
    },
    { onerror: (error) => app.log.warn({ err: error }, 'mcp request failed') },
  );

  // The HTTP server waits for requests in flight when it closes; held calls and open notification
  // streams would keep it waiting, so they end first.
  app.addHook('preClose', () => gateway.drain());

  const serve = async (request: FastifyRequest, reply: FastifyReply, server?: string) => {
    const caller: GatewayCaller = { principal: agentOf(request), ...(server ? { server } : {}) };
    if (server && !gateway.deps.pool.get(caller.principal.tenantId, server)) {
      return reply.code(404).send({
        error: {
          code: 'not_found',
          message: `no MCP server named ${server} in this tenant`,
          requestId: request.id,
        },
      });
    }
    // The SDK writes the response itself (JSON or an SSE stream): Fastify steps aside.
    reply.hijack();
    reply.raw.setHeader('x-request-id', request.id);
    const raw = Object.assign(request.raw, {
      // The key was verified by the auth hook; the SDK only carries this to the handlers (the key's id, not the key).
      auth: {
        token: caller.principal.keyId,
        clientId: caller.principal.agentId,
        scopes: [],
        extra: { caller },
      },
    });
    await node(raw, reply.raw, request.body);
  };

  const config = { auth: { kind: 'agent' as const } };
  const schema = (summary: string) => ({ tags: ['mcp'], summary, hide: false });
  for (const method of ['POST', 'GET', 'DELETE'] as const) {
    app.route({
      method,
      url: '/mcp',
      config,
      schema: schema(`MCP gateway, every server (${method})`),
      handler: (request, reply) => serve(request, reply),
    });
    app.route({
      method,
      url: '/mcp/:server',
      config,
      schema: { ...schema(`MCP gateway, one server (${method})`), params: ServerParam },
      handler: (request, reply) => serve(request, reply, (request.params as { server: string }).server),
    });
  }
}
