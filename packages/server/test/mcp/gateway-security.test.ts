import { writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { POLICY_AUTHOR } from '../approvals/approvals-fixtures.js';
import { createOtherTenant, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { connectAgent, writeGatewayFiles } from './mcp-fixtures.js';

const LIST = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };
const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'probe', version: '1' } },
};

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One raw HTTP exchange, with whatever Host and Origin headers the test wants to forge. */
function post(url: string, headers: Record<string, string>, body: unknown, method = 'POST'): Promise<Answer> {
  const target = new URL(url);
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method,
        headers: {
          accept: 'application/json, text/event-stream',
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('MCP gateway security', () => {
  let t: TestNode;
  let base: string;
  let key: string;
  let otherTenantKey: string;

  let policyDir: string;

  beforeAll(async () => {
    const files = await writeGatewayFiles();
    policyDir = files.policyDir;
    t = await startTestNode('sqlite', {
      policyDir: files.policyDir,
      settings: { mcpServersFile: files.serversFile },
    });
    base = await t.node.listen();
    key = (await seedAgent(t.node, { roles: ['mcp-user'] })).key;
    const other = await createOtherTenant(t.node);
    otherTenantKey = (
      await seedAgent(t.node, { tenantId: other.tenantId, ownerId: other.adminId, roles: ['mcp-user'] })
    ).key;
  }, 60_000);

  afterAll(() => t?.close());

  it('wants an agent key: none is 401, a human token 403, nothing forwarded', async () => {
    const none = await post(`${base}/mcp`, {}, LIST);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).error.code).toBe('unauthenticated');
    const human = await post(`${base}/mcp`, { authorization: `Bearer ${t.adminToken}` }, LIST);
    expect(human.status).toBe(403);
  });

  it('refuses a forged Host (DNS rebinding) and a foreign browser Origin', async () => {
    const auth = { authorization: `Bearer ${key}` };
    const host = await post(`${base}/mcp`, { ...auth, host: 'evil.example:80' }, INITIALIZE);
    expect(host.status).toBe(403);
    const origin = await post(`${base}/mcp`, { ...auth, origin: 'https://evil.example' }, INITIALIZE);
    expect(origin.status).toBe(403);
    const local = await post(`${base}/mcp`, { ...auth, origin: 'http://localhost:6274' }, INITIALIZE);
    expect(local.status).toBe(200);
  });

  it('shows another tenant’s agent none of this tenant’s servers', async () => {
    const client = await connectAgent(`${base}/mcp`, otherTenantKey, 'modern');
    expect((await client.listTools()).tools).toEqual([]);
    await expect(client.callTool({ name: 'everything.echo', arguments: { message: 'x' } })).rejects.toThrow(
      /unknown tool/,
    );
    await client.close();
    const one = await post(
      `${base}/mcp/everything`,
      { authorization: `Bearer ${otherTenantKey}` },
      INITIALIZE,
    );
    expect(one.status).toBe(404);
    expect(JSON.parse(one.body).error.code).toBe('not_found');
  });

  it('keeps a 2025 session to the agent that opened it', async () => {
    const opened = await post(`${base}/mcp`, { authorization: `Bearer ${key}` }, INITIALIZE);
    expect(opened.status).toBe(200);
    const session = opened.headers['mcp-session-id'] as string;
    expect(session).toBeTruthy();
    const intruderKey = (await seedAgent(t.node, { roles: ['mcp-user'] })).key;
    const stolen = await post(
      `${base}/mcp`,
      {
        authorization: `Bearer ${intruderKey}`,
        'mcp-session-id': session,
        'mcp-protocol-version': '2025-06-18',
      },
      LIST,
    );
    expect(stolen.status).toBe(404);
  });

  it('refuses bodies that are not one JSON-RPC request: garbage, batches, requests without a session', async () => {
    const auth = { authorization: `Bearer ${key}` };
    expect((await post(`${base}/mcp`, auth, '{not json')).status).toBe(400);
    expect((await post(`${base}/mcp`, auth, [LIST, LIST])).status).toBe(400);
    expect((await post(`${base}/mcp`, auth, LIST)).status).toBe(400);
    expect((await post(`${base}/mcp`, auth, { hello: 'world' })).status).toBe(400);
    // The node is still serving.
    const client = await connectAgent(`${base}/mcp`, key, 'legacy');
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
  });

  it('refuses a request whose Mcp-Method header disagrees with its body', async () => {
    const client = await connectAgent(`${base}/mcp`, key, 'modern');
    const version = client.getNegotiatedProtocolVersion() as string;
    await client.close();
    const res = await post(
      `${base}/mcp`,
      { authorization: `Bearer ${key}`, 'mcp-protocol-version': version, 'mcp-method': 'tools/list' },
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: {
          name: 'everything.echo',
          arguments: { message: 'x' },
          _meta: {
            'io.modelcontextprotocol/protocolVersion': version,
            'io.modelcontextprotocol/clientInfo': { name: 'probe', version: '1' },
            'io.modelcontextprotocol/clientCapabilities': {},
          },
        },
      },
    );
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.body).not.toContain('Echo: x');
  });

  it('tells connected clients of both eras when a new policy changes what they may see', async () => {
    const changed = { modern: 0, legacy: 0 };
    const readerKey = (await seedAgent(t.node, { roles: ['mcp-reader'] })).key;
    const modern = await connectAgent(`${base}/mcp`, readerKey, 'modern', () => changed.modern++);
    const legacy = await connectAgent(`${base}/mcp`, readerKey, 'legacy', () => changed.legacy++);
    expect((await modern.listTools()).tools.map((tool) => tool.name)).toEqual(['everything.get-tiny-image']);
    // Give a listen stream and a GET stream time to open before the change.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await writeFile(
      join(policyDir, 'readers-echo.yaml'),
      `apiVersion: warden/v1
kind: Policy
metadata:
  name: readers-echo
  owner: ${POLICY_AUTHOR}
spec:
  agents:
    roles: [mcp-reader]
  rules:
    - id: readers-echo
      effect: allow
      tools: [everything.echo]
      reason: Readers may echo now
`,
    );
    const reloaded = await request(t.node, 'POST', '/v1/policies/reload', t.adminToken);
    expect(reloaded.json().changed).toBe(true);
    await vi.waitFor(() =>
      expect(changed).toEqual({ modern: expect.any(Number), legacy: expect.any(Number) }),
    );
    await vi.waitFor(() => {
      expect(changed.modern).toBeGreaterThan(0);
      expect(changed.legacy).toBeGreaterThan(0);
    });
    expect((await legacy.listTools()).tools.map((tool) => tool.name).sort()).toEqual([
      'everything.echo',
      'everything.get-tiny-image',
    ]);
    await modern.close();
    await legacy.close();
  });
});
