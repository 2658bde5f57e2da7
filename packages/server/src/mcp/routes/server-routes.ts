import { type Static, Type } from 'typebox';
import { notFound, WardenError } from '../../errors.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import type { ListedServer, McpServerService } from '../server-service.js';
import { shownEntry } from '../shown-entry.js';
import type { UpstreamPool } from '../upstream-pool.js';

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
  status: Type.Object({
    state: Type.String(),
    restarts: Type.Integer(),
    lastError: Type.Optional(Type.String()),
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
    'Any of command, args, env, cwd, url, headers, timeoutSeconds, tools. env and headers merge per key; a key set to null is removed.',
});

/**
 * The tenant's upstream MCP servers: listed with their supervision status (secrets as where they
 * come from, never values), one server's tools, and adding, changing and removing the ones managed
 * through the API (audited; the servers file's are changed in the file).
 */
export function registerMcpServerRoutes(app: App, pool: UpstreamPool, servers: McpServerService): void {
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
    async (request) => ({ servers: servers.list(humanOf(request).tenantId).map(serverJson) }),
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
      const added = await servers.add(humanOf(request), request.body);
      return reply.code(201).send({ server: serverJson(added) });
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
    async (request) => ({
      server: serverJson(await servers.update(humanOf(request), request.params.name, request.body)),
    }),
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
    async (request) => ({ server: await servers.remove(humanOf(request), request.params.name) }),
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

function serverJson({ upstream, source }: ListedServer): Static<typeof ServerSchema> {
  return { ...shownEntry(upstream.entry), source, status: upstream.status() };
}
