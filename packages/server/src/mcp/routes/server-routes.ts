import { type Static, Type } from 'typebox';
import { notFound, WardenError } from '../../errors.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import type { ConfiguredValue } from '../server-entry.js';
import type { Upstream } from '../upstream.js';
import type { UpstreamPool } from '../upstream-pool.js';
import { relaysToAgents } from '../upstream-requests.js';

/** Who may see a tenant's upstream servers: they are configuration and may reveal infrastructure. */
const READERS = { kind: 'human', roles: ['security', 'auditor'] } as const;

/** A value as shown: where a secret comes from, never a value (a plain value is shown only as set). */
const ShownValue = Type.Union([
  Type.Literal('(plain value)'),
  Type.Object({ fromEnv: Type.String() }),
  Type.Object({ fromFile: Type.String() }),
]);

const ServerSchema = Type.Object({
  name: Type.String(),
  transport: Type.Union([Type.Literal('stdio'), Type.Literal('http')]),
  command: Type.Optional(Type.String()),
  args: Type.Optional(Type.Array(Type.String())),
  cwd: Type.Optional(Type.String()),
  url: Type.Optional(Type.String()),
  env: Type.Optional(Type.Record(Type.String(), ShownValue)),
  headers: Type.Optional(Type.Record(Type.String(), ShownValue)),
  timeoutSeconds: Type.Number(),
  estimates: Type.Record(Type.String(), Type.Number()),
  allow: Type.Array(Type.String(), { description: 'what the upstream may ask of Warden during a call' }),
  roots: Type.Array(Type.Object({ uri: Type.String(), name: Type.Optional(Type.String()) })),
  status: Type.Object({
    state: Type.String(),
    restarts: Type.Integer(),
    lastError: Type.Optional(Type.String()),
    agentConnections: Type.Optional(
      Type.Integer({ description: 'connections of their own agents have open (entries that relay)' }),
    ),
  }),
});

const ToolSchema = Type.Object({
  name: Type.String({ description: 'the Warden tool name, <server>.<tool>' }),
  description: Type.Optional(Type.String()),
});

const NameParams = Type.Object({ name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,39}$' }) });

/**
 * `GET /v1/mcp/servers` and `GET /v1/mcp/servers/:name/tools`: the tenant's upstream servers as
 * configured (secrets as references, never values) with their supervision status, and one server's
 * tools (starting it if it is not running). Managing them over the API is still to come.
 */
export function registerMcpServerRoutes(app: App, pool: UpstreamPool): void {
  app.get(
    '/v1/mcp/servers',
    {
      config: { auth: READERS },
      schema: {
        tags: ['mcp'],
        summary: "List the tenant's upstream MCP servers",
        response: { 200: Type.Object({ servers: Type.Array(ServerSchema) }), ...errorResponses() },
      },
    },
    async (request) => ({
      servers: pool.servers(humanOf(request).tenantId).map((upstream) => serverJson(pool, upstream)),
    }),
  );

  app.get(
    '/v1/mcp/servers/:name/tools',
    {
      config: { auth: READERS },
      schema: {
        tags: ['mcp'],
        summary: "One upstream server's tools, as Warden names them",
        params: NameParams,
        response: {
          200: Type.Object({ server: Type.String(), tools: Type.Array(ToolSchema) }),
          ...errorResponses(404, 503),
        },
      },
    },
    async (request) => {
      const { tenantId } = humanOf(request);
      const { name } = request.params;
      const upstream = pool.get(tenantId, name);
      if (!upstream) throw notFound('MCP server', name);
      const listing = await pool.tools(tenantId, name);
      const failed = listing.unavailable[0];
      if (failed) throw new WardenError('governance_unavailable', failed.reason);
      return {
        server: name,
        tools: listing.tools.map((tool) => ({
          name: tool.name,
          ...(tool.definition.description ? { description: tool.definition.description } : {}),
        })),
      };
    },
  );
}

function serverJson(pool: UpstreamPool, upstream: Upstream): Static<typeof ServerSchema> {
  const { entry } = upstream;
  const shared = {
    name: entry.name,
    timeoutSeconds: entry.timeoutMs / 1_000,
    estimates: { ...entry.estimates },
    allow: [...entry.allow],
    roots: entry.roots.map((root) => ({ ...root })),
    status: {
      ...upstream.status(),
      ...(relaysToAgents(entry) ? { agentConnections: pool.agentConnections(upstream) } : {}),
    },
  };
  if (entry.transport === 'http') {
    return { ...shared, transport: 'http', url: entry.url, headers: shown(entry.headers) };
  }
  return {
    ...shared,
    transport: 'stdio',
    command: entry.command,
    args: [...entry.args],
    ...(entry.cwd ? { cwd: entry.cwd } : {}),
    env: shown(entry.env),
  };
}

function shown(values: Readonly<Record<string, ConfiguredValue>>): Record<string, Static<typeof ShownValue>> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      key,
      typeof value === 'string' ? '(plain value)' : { ...value },
    ]),
  );
}
