import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@modelcontextprotocol/client';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, Server } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_AUTHOR } from '../approvals/approvals-fixtures.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { connectAgent, serversYaml, textOf, writeGatewayFiles } from './mcp-fixtures.js';

const POLICY = `apiVersion: warden/v1
kind: Policy
metadata:
  name: remote
  owner: ${POLICY_AUTHOR}
spec:
  agents:
    roles: [mcp-user]
  rules:
    - id: remote-lookup
      effect: allow
      tools: [remote.lookup]
      reason: Lookups are fine
`;

/**
 * An upstream reached over Streamable HTTP, built here with the official SDK: it answers only with
 * the bearer token the servers file takes from the environment, and Warden never hands the agent that
 * token nor the agent's key to the upstream.
 */
describe('MCP gateway with a Streamable HTTP upstream', () => {
  let upstream: HttpServer;
  const seenAuth: (string | undefined)[] = [];
  let t: TestNode;
  let client: Client;

  beforeAll(async () => {
    const handler = createMcpHandler(() => {
      const server = new Server({ name: 'remote', version: '1.0.0' }, { capabilities: { tools: {} } });
      server.setRequestHandler('tools/list', async () => ({
        tools: [{ name: 'lookup', description: 'Look a word up', inputSchema: { type: 'object' } }],
      }));
      server.setRequestHandler('tools/call', async (request) => ({
        content: [{ type: 'text', text: `looked up ${JSON.stringify(request.params.arguments ?? {})}` }],
      }));
      return server;
    });
    const node = toNodeHandler(handler);
    upstream = createServer((req, res) => {
      seenAuth.push(req.headers.authorization);
      if (req.headers.authorization !== 'Bearer upstream-secret') {
        res.writeHead(401).end();
        return;
      }
      void node(req, res);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const port = (upstream.address() as AddressInfo).port;
    process.env.REMOTE_MCP_TOKEN = 'Bearer upstream-secret';
    const files = await writeGatewayFiles(
      serversYaml(`  - name: remote
    transport: http
    url: http://127.0.0.1:${port}/mcp
    headers:
      Authorization: { fromEnv: REMOTE_MCP_TOKEN }
`),
      POLICY,
    );
    t = await startTestNode('sqlite', {
      policyDir: files.policyDir,
      settings: { mcpServersFile: files.serversFile },
    });
    const seeded = await seedAgent(t.node, { roles: ['mcp-user'] });
    client = await connectAgent(`${await t.node.listen()}/mcp`, seeded.key, 'modern');
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await t?.close();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it('lists and calls the HTTP upstream’s tools with the token from the environment', async () => {
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('remote.lookup');
    const result = await client.callTool({ name: 'remote.lookup', arguments: { word: 'warden' } });
    expect(textOf(result)).toBe('looked up {"word":"warden"}');
    expect(seenAuth.length).toBeGreaterThan(0);
    expect(new Set(seenAuth)).toEqual(new Set(['Bearer upstream-secret']));
  });
});
