import { type Static, Type } from 'typebox';
import { notFound, WardenError } from '../../errors.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import type { EntrySource, ManagedEntries } from '../../managed/managed-entries.js';
import type { ServerEntry } from '../server-entry.js';
import { shownEntry } from '../shown-entry.js';
import type { Upstream } from '../upstream.js';
import type { UpstreamPool } from '../upstream-pool.js';
import { relaysToAgents } from '../upstream-requests.js';

/** Who may see a tenant's upstream servers: they are configuration and may reveal infrastructure. */
const READERS = { kind: 'human', roles: ['security', 'auditor'] } as const;
/** Who may change them: a server reaches the tenant's systems with the tenant's credentials. */
const WRITERS = { kind: 'human', roles: ['security'] } as const;

/** A value as shown: where a secret comes from, never a value (a plain value is shown only as set). */
const ShownValue = Type.Union([
  Type.Literal('(plain value)'),
  Type.Literal('(stored secret)'),
  Type.Object({ fromEnv: Type.String() }),
  Type.Object({ fromFile: Type.String() }),
]);

const ServerSchema = Type.Object({
  name: Type.String(),
  transport: Type.Union([Type.Literal('stdio'), Type.Literal('http')]),
  source: Type.Union([Type.Literal('file'), Type.Literal('api')], {
    description: 'file: the servers file (changed there); api: added through this API',
  }),
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

const RemovedSchema = Type.Omit(ServerSchema, ['status', 'source']);

const ToolSchema = Type.Object({
  name: Type.String({ description: 'the Warden tool name, <server>.<tool>' }),
  description: Type.Optional(Type.String()),
});

const NameParams = Type.Object({ name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,39}$' }) });

/** Checked field by field by checkServerEntry, so a mistake names its field like the servers file's. */
const EntryBody = Type.Unknown({
  description:
    'A server entry as in the servers file ({name, transport, command, args, env, cwd, url, headers, timeoutSeconds, tools}); secrets as {"secret": value}, stored encrypted and never shown again.',
});
const PatchBody = Type.Unknown({
  description:
    'Any of command, args, env, cwd, url, headers, timeoutSeconds, tools, allow, roots. env and headers merge per key; a key set to null is removed.',
});

/**
 * The tenant's upstream MCP servers: listed with their supervision status (secrets as where they
 * come from, never values), one server's tools, and adding, changing and removing the ones managed
 * through the API (audited; the servers file's are changed in the file).
 */
export function registerMcpServerRoutes(
  app: App,
  pool: UpstreamPool,
  servers: ManagedEntries<ServerEntry>,
): void {
  const listed = (tenantId: string, name: string) => {
    const upstream = pool.get(tenantId, name);
    if (!upstream) throw notFound('MCP server', name);
    return serverJson(pool, upstream, servers.source(tenantId, name));
  };
  app.get(
    '/v1/mcp/servers',
    {
      config: { auth: READERS },
      schema: {
        tags: ['mcp'],
        summary: "List the tenant's upstream MCP servers (admin, security, auditor)",
        response: { 200: Type.Object({ servers: Type.Array(ServerSchema) }), ...errorResponses() },
      },
    },
    async (request) => {
      const { tenantId } = humanOf(request);
      return {
        servers: pool
          .servers(tenantId)
          .map((upstream) => serverJson(pool, upstream, servers.source(tenantId, upstream.name))),
      };
    },
  );

  app.post(
    '/v1/mcp/servers',
    {
      config: { auth: WRITERS },
      schema: {
        tags: ['mcp'],
        summary: 'Add an upstream MCP server (admin, security)',
        description:
          'fromEnv and fromFile are refused here (servers file only); stdio commands must be listed in WARDEN_MCP_API_COMMANDS.',
        body: EntryBody,
        response: { 201: Type.Object({ server: ServerSchema }), ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const principal = humanOf(request);
      const added = await servers.add(principal, request.body);
      return reply.code(201).send({ server: listed(principal.tenantId, added.name) });
    },
  );

  app.patch(
    '/v1/mcp/servers/:name',
    {
      config: { auth: WRITERS },
      schema: {
        tags: ['mcp'],
        summary: 'Change an upstream MCP server added through the API (admin, security)',
        description: 'Servers from the servers file answer 409. A changed server restarts on its next use.',
        params: NameParams,
        body: PatchBody,
        response: { 200: Type.Object({ server: ServerSchema }), ...errorResponses(404, 409) },
      },
    },
    async (request) => {
      const principal = humanOf(request);
      await servers.update(principal, request.params.name, request.body);
      return { server: listed(principal.tenantId, request.params.name) };
    },
  );

  app.delete(
    '/v1/mcp/servers/:name',
    {
      config: { auth: WRITERS },
      schema: {
        tags: ['mcp'],
        summary: 'Remove an upstream MCP server added through the API (admin, security)',
        description: 'Servers from the servers file answer 409. Answers the server as it was.',
        params: NameParams,
        response: { 200: Type.Object({ server: RemovedSchema }), ...errorResponses(404, 409) },
      },
    },
    async (request) => ({ server: shownEntry(await servers.remove(humanOf(request), request.params.name)) }),
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

function serverJson(
  pool: UpstreamPool,
  upstream: Upstream,
  source: EntrySource,
): Static<typeof ServerSchema> {
  const status = {
    ...upstream.status(),
    ...(relaysToAgents(upstream.entry) ? { agentConnections: pool.agentConnections(upstream) } : {}),
  };
  return { ...shownEntry(upstream.entry), source, status };
}
