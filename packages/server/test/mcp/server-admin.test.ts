import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addHuman, auditEventsOf, createOtherTenant, request } from '../helpers/api.js';
import { databaseDigest } from '../helpers/db-digest.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { createTestDatabase, startTestNode, type TestNode } from '../helpers/test-node.js';
import { type HttpUpstream, REMOTE_POLICY, startHttpUpstream } from './http-upstream.js';
import { connectAgent, EVERYTHING_SERVER, textOf, writeGatewayFiles } from './mcp-fixtures.js';

const SECRET = 'Bearer upstream-secret-7f3a';
const ROTATED = 'Bearer rotated-secret-91bc';

/** Every stored byte of the node that could hold a secret: server rows and audit events. */
async function storedText(t: TestNode): Promise<string> {
  const servers = await t.node.storage.db.selectFrom('mcp_servers').selectAll().execute();
  const events = await t.node.storage.db.selectFrom('audit_events').select('body').execute();
  return JSON.stringify([servers, events]);
}

/**
 * Upstream servers managed through the admin API: secrets given once and stored sealed, changes
 * audited field by field, every node's pool following, and the servers file's entries left alone.
 */
describe('MCP servers through the admin API (sqlite)', () => {
  let t: TestNode;
  let upstream: HttpUpstream;
  let security: string;
  let agentKey: string;
  let filesDir: string;
  let gateway: string;

  beforeAll(async () => {
    upstream = await startHttpUpstream(SECRET);
    const files = await writeGatewayFiles(undefined, REMOTE_POLICY);
    filesDir = dirname(files.serversFile);
    t = await startTestNode('sqlite', {
      policyDir: files.policyDir,
      settings: { mcpServersFile: files.serversFile },
    });
    security = (await addHuman(t.node, ['security'])).token;
    agentKey = (await seedAgent(t.node, { roles: ['mcp-user'] })).key;
    gateway = `${await t.node.listen()}/mcp`;
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await upstream?.close();
    if (filesDir) await rm(filesDir, { recursive: true, force: true });
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, token = security) =>
    t.node.app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });

  async function lookup(): Promise<{ isError: boolean; text: string }> {
    const client = await connectAgent(gateway, agentKey, 'modern');
    try {
      const result = await client.callTool({ name: 'remote.lookup', arguments: { word: 'warden' } });
      return { isError: result.isError === true, text: textOf(result) };
    } finally {
      await client.close();
    }
  }

  it('adds an http server whose secret is stored sealed, shown as stored, and used for the agent’s calls', async () => {
    const added = await call('POST', '/v1/mcp/servers', {
      name: 'remote',
      transport: 'http',
      url: upstream.url,
      headers: { Authorization: { secret: SECRET }, 'X-Team': 'support' },
      tools: { lookup: { estimateUsd: 0.02 } },
    });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json().server).toMatchObject({
      name: 'remote',
      source: 'api',
      headers: { Authorization: '(stored secret)', 'X-Team': '(plain value)' },
      estimates: { lookup: 0.02 },
      status: { state: 'idle' },
    });

    const listed = await call('GET', '/v1/mcp/servers');
    expect(listed.json().servers.map((s: { name: string; source: string }) => [s.name, s.source])).toEqual([
      ['everything', 'file'],
      ['remote', 'api'],
    ]);
    expect(listed.body).not.toContain('upstream-secret');

    expect(await lookup()).toEqual({ isError: false, text: 'looked up {"word":"warden"}' });
    expect(upstream.seenAuth).toContain(SECRET);

    expect(await storedText(t)).not.toContain('upstream-secret');
    const [created] = await auditEventsOf(t.node, 'remote');
    expect(created?.type).toBe('mcp_server.create');
    expect(created?.payload).toMatchObject({
      name: 'remote',
      source: 'api',
      // Authorization is a secret's name to the audit's redactor too: the value is never stored.
      headers: { Authorization: '[REDACTED:secret]', 'X-Team': '(plain value)' },
    });
  });

  it('changes fields with PATCH: a rotated secret, merged headers, audited by field and never by value', async () => {
    upstream.accept(ROTATED);
    expect((await lookup()).isError).toBe(true);

    const patched = await call('PATCH', '/v1/mcp/servers/remote', {
      headers: { Authorization: { secret: ROTATED } },
      timeoutSeconds: 7,
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().server).toMatchObject({
      timeoutSeconds: 7,
      headers: { Authorization: '(stored secret)' },
    });
    expect(await lookup()).toEqual({ isError: false, text: 'looked up {"word":"warden"}' });

    // The same change again changes nothing, and is not audited again.
    expect((await call('PATCH', '/v1/mcp/servers/remote', { timeoutSeconds: 7 })).statusCode).toBe(200);
    // A header added or removed leaves the stored secret as it was.
    expect((await call('PATCH', '/v1/mcp/servers/remote', { headers: { 'X-Team': null } })).statusCode).toBe(
      200,
    );
    expect(await lookup()).toEqual({ isError: false, text: 'looked up {"word":"warden"}' });

    const updates = (await auditEventsOf(t.node, 'remote')).filter((e) => e.type === 'mcp_server.update');
    expect(updates.map((e) => e.payload?.changed)).toEqual([
      ['headers.Authorization', 'timeoutSeconds'],
      ['headers.X-Team'],
    ]);
    expect(await storedText(t)).not.toContain('rotated-secret');
  });

  it('changes what the upstream may ask (allow, roots) like any other field', async () => {
    const patched = await call('PATCH', '/v1/mcp/servers/remote', {
      allow: ['roots'],
      roots: [{ uri: 'file:///srv/shared', name: 'shared' }],
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().server).toMatchObject({
      allow: ['roots'],
      roots: [{ uri: 'file:///srv/shared', name: 'shared' }],
    });
    const refused = await call('PATCH', '/v1/mcp/servers/remote', { allow: [] });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.message).toBe('body.roots: only with allow including roots');
    const cleared = await call('PATCH', '/v1/mcp/servers/remote', { allow: null, roots: null });
    expect(cleared.statusCode, cleared.body).toBe(200);
    expect(cleared.json().server).toMatchObject({ allow: [], roots: [] });
  });

  it.each([
    [
      'POST',
      '/v1/mcp/servers',
      {
        name: 'leaky',
        transport: 'http',
        url: 'http://127.0.0.1:9/mcp',
        headers: { Authorization: { fromEnv: 'HOME' } },
      },
      400,
      'body.headers.Authorization: fromEnv and fromFile belong in the servers file',
    ],
    [
      'POST',
      '/v1/mcp/servers',
      {
        name: 'leaky',
        transport: 'http',
        url: 'http://127.0.0.1:9/mcp',
        headers: { Authorization: { fromFile: '/etc/passwd' } },
      },
      400,
      'body.headers.Authorization: fromEnv and fromFile',
    ],
    [
      'POST',
      '/v1/mcp/servers',
      { name: 'shell', transport: 'stdio', command: 'sh', args: ['-c', 'id'] },
      400,
      'body.command: stdio servers cannot be added through the API unless the operator lists',
    ],
    [
      'POST',
      '/v1/mcp/servers',
      { name: 'remote', transport: 'http', url: 'http://127.0.0.1:9/mcp' },
      409,
      'an MCP server named remote already exists',
    ],
    [
      'POST',
      '/v1/mcp/servers',
      { name: 'everything', transport: 'http', url: 'http://127.0.0.1:9/mcp' },
      409,
      'comes from WARDEN_MCP_SERVERS_FILE',
    ],
    [
      'POST',
      '/v1/mcp/servers',
      { name: 'Bad.Name', transport: 'http', url: 'http://127.0.0.1:9/mcp' },
      400,
      'body.name: must be 1-40',
    ],
    [
      'POST',
      '/v1/mcp/servers',
      { name: 'creds', transport: 'http', url: 'http://user:pw@127.0.0.1:9/mcp' },
      400,
      'body.url: must not carry credentials',
    ],
    ['POST', '/v1/mcp/servers', ['not', 'a', 'mapping'], 400, 'body: must be a mapping'],
    ['PATCH', '/v1/mcp/servers/everything', { timeoutSeconds: 5 }, 409, 'comes from WARDEN_MCP_SERVERS_FILE'],
    ['PATCH', '/v1/mcp/servers/remote', { name: 'renamed' }, 400, 'body.name: cannot be changed'],
    ['PATCH', '/v1/mcp/servers/remote', { transport: 'stdio' }, 400, 'body.transport: cannot be changed'],
    [
      'PATCH',
      '/v1/mcp/servers/remote',
      { headers: { Authorization: { sealed: 'AAAA' } } },
      400,
      'body.headers.Authorization: must be a string, {secret: value}, or null',
    ],
    [
      'PATCH',
      '/v1/mcp/servers/remote',
      { command: 'node' },
      400,
      'body.command: unknown key for a http server',
    ],
    ['PATCH', '/v1/mcp/servers/remote', { timeoutSeconds: 0 }, 400, 'body.timeoutSeconds'],
    ['PATCH', '/v1/mcp/servers/remote', {}, 400, 'body: names no field to change'],
    ['PATCH', '/v1/mcp/servers/nope', { timeoutSeconds: 5 }, 404, 'MCP server nope not found'],
    ['DELETE', '/v1/mcp/servers/everything', undefined, 409, 'comes from WARDEN_MCP_SERVERS_FILE'],
    ['DELETE', '/v1/mcp/servers/nope', undefined, 404, 'MCP server nope not found'],
  ] as const)(
    '%s %s %j answers %i naming the problem and changes nothing',
    async (method, url, body, status, message) => {
      const before = await databaseDigest(t.node);
      const response = await call(method, url, body);
      expect(response.statusCode, response.body).toBe(status);
      expect(response.json().error.message).toContain(message);
      expect(await databaseDigest(t.node)).toEqual(before);
    },
  );

  it('lets auditors read but not change, and keeps other tenants apart', async () => {
    const auditor = (await addHuman(t.node, ['auditor'])).token;
    expect((await call('GET', '/v1/mcp/servers', undefined, auditor)).statusCode).toBe(200);
    expect((await call('DELETE', '/v1/mcp/servers/remote', undefined, auditor)).statusCode).toBe(403);
    const other = await createOtherTenant(t.node, 'mcp-other');
    const theirs = await call('GET', '/v1/mcp/servers', undefined, other.adminToken);
    expect(theirs.json().servers).toEqual([]);
    expect((await call('DELETE', '/v1/mcp/servers/remote', undefined, other.adminToken)).statusCode).toBe(
      404,
    );
  });

  it('removes a server: connected agents are told their tools changed, and the removal is audited', async () => {
    let changes = 0;
    const client = await connectAgent(gateway, agentKey, 'legacy', () => changes++);
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('remote.lookup');
      const removed = await call('DELETE', '/v1/mcp/servers/remote');
      expect(removed.statusCode, removed.body).toBe(200);
      expect(removed.json().server).toMatchObject({
        name: 'remote',
        headers: { Authorization: '(stored secret)' },
      });
      await vi.waitFor(() => expect(changes).toBeGreaterThan(0), { timeout: 5_000 });
      expect((await client.listTools()).tools.map((tool) => tool.name)).not.toContain('remote.lookup');
    } finally {
      await client.close();
    }
    const types = (await auditEventsOf(t.node, 'remote')).map((e) => e.type);
    expect(types.at(-1)).toBe('mcp_server.delete');
  });
});

describe('stdio servers through the admin API (sqlite)', () => {
  it('runs only the commands the operator lists, with their secrets in the environment', async () => {
    const files = await writeGatewayFiles('servers: []\n');
    const t = await startTestNode('sqlite', {
      policyDir: files.policyDir,
      settings: { mcpServersFile: files.serversFile, mcpApiCommands: [process.execPath] },
    });
    try {
      const security = (await addHuman(t.node, ['security'])).token;
      const added = await request(t.node, 'POST', '/v1/mcp/servers', security, {
        name: 'everything',
        transport: 'stdio',
        command: process.execPath,
        args: [EVERYTHING_SERVER, 'stdio'],
        env: { EVERYTHING_TOKEN: { secret: 'stdio-secret-55' } },
      });
      expect(added.statusCode, added.body).toBe(201);
      expect(added.json().server.env).toEqual({ EVERYTHING_TOKEN: '(stored secret)' });
      const tools = await request(t.node, 'GET', '/v1/mcp/servers/everything/tools', security);
      expect(tools.statusCode, tools.body).toBe(200);
      expect(tools.json().tools.map((tool: { name: string }) => tool.name)).toContain('everything.echo');
      const other = await request(t.node, 'POST', '/v1/mcp/servers', security, {
        name: 'shell',
        transport: 'stdio',
        command: 'sh',
      });
      expect(other.statusCode).toBe(400);
      expect(other.json().error.message).toContain(`must be one of the commands the operator allows`);
    } finally {
      await t.close();
      await rm(dirname(files.serversFile), { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the secrets key', () => {
  it('a node whose secrets key does not open the stored secrets refuses to start, naming the file', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const first = await startTestNode('sqlite', { shared: database, policyDir: null });
      const added = await request(first.node, 'POST', '/v1/mcp/servers', first.adminToken, {
        name: 'remote',
        transport: 'http',
        url: 'http://127.0.0.1:9/mcp',
        headers: { Authorization: { secret: SECRET } },
      });
      expect(added.statusCode, added.body).toBe(201);
      await first.close();

      const otherKey = join(database.dataDir, 'other-secrets.key');
      await writeFile(otherKey, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
      await expect(
        startTestNode('sqlite', {
          shared: database,
          policyDir: null,
          settings: { secretsKeyFile: otherKey },
        }),
      ).rejects.toThrow(/cannot be opened with the secrets key .*other-secrets\.key/);

      const again = await startTestNode('sqlite', { shared: database, policyDir: null });
      const listed = await request(again.node, 'GET', '/v1/mcp/servers', first.adminToken);
      expect(listed.json().servers).toHaveLength(1);
      await again.close();
    } finally {
      await database.drop();
    }
  }, 60_000);
});

describe('MCP servers across two nodes (postgres)', () => {
  let a: TestNode;
  let b: TestNode;
  let upstream: HttpUpstream;

  beforeAll(async () => {
    upstream = await startHttpUpstream(SECRET);
    const files = await writeGatewayFiles('servers: []\n', REMOTE_POLICY);
    a = await startTestNode('postgres', { policyDir: files.policyDir });
    b = await startTestNode('postgres', { policyDir: files.policyDir, shared: a.database });
  }, 60_000);

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await upstream?.close();
  });

  it('a server added on node A serves agents on node B, and its removal reaches B too', async () => {
    const agent = await seedAgent(a.node, { roles: ['mcp-user'] });
    const added = await request(a.node, 'POST', '/v1/mcp/servers', a.adminToken, {
      name: 'remote',
      transport: 'http',
      url: upstream.url,
      headers: { Authorization: { secret: SECRET } },
    });
    expect(added.statusCode, added.body).toBe(201);
    await vi.waitFor(() =>
      expect(b.node.mcp.deps.pool.get(b.node.bootstrap.tenant.id, 'remote')).toBeDefined(),
    );
    const client = await connectAgent(`${await b.node.listen()}/mcp`, agent.key, 'modern');
    try {
      const result = await client.callTool({ name: 'remote.lookup', arguments: { word: 'nodes' } });
      expect(textOf(result)).toBe('looked up {"word":"nodes"}');
    } finally {
      await client.close();
    }
    const removed = await request(a.node, 'DELETE', '/v1/mcp/servers/remote', a.adminToken);
    expect(removed.statusCode, removed.body).toBe(200);
    await vi.waitFor(() =>
      expect(b.node.mcp.deps.pool.get(b.node.bootstrap.tenant.id, 'remote')).toBeUndefined(),
    );
  });
});
