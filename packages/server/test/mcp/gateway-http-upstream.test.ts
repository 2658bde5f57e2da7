import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAgent } from '../helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { type HttpUpstream, REMOTE_POLICY, startHttpUpstream } from './http-upstream.js';
import { connectAgent, serversYaml, textOf, writeGatewayFiles } from './mcp-fixtures.js';

/**
 * An upstream reached over Streamable HTTP, built here with the official SDK: it answers only with
 * the bearer token the servers file takes from the environment, and Warden never hands the agent that
 * token nor the agent's key to the upstream.
 */
describe('MCP gateway with a Streamable HTTP upstream', () => {
  let upstream: HttpUpstream;
  let t: TestNode;
  let client: Client;

  beforeAll(async () => {
    upstream = await startHttpUpstream('Bearer upstream-secret');
    process.env.REMOTE_MCP_TOKEN = 'Bearer upstream-secret';
    const files = await writeGatewayFiles(
      serversYaml(`  - name: remote
    transport: http
    url: ${upstream.url}
    headers:
      Authorization: { fromEnv: REMOTE_MCP_TOKEN }
`),
      REMOTE_POLICY,
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
    await upstream?.close();
  });

  it('lists and calls the HTTP upstream’s tools with the token from the environment', async () => {
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('remote.lookup');
    const result = await client.callTool({ name: 'remote.lookup', arguments: { word: 'warden' } });
    expect(textOf(result)).toBe('looked up {"word":"warden"}');
    expect(upstream.seenAuth.length).toBeGreaterThan(0);
    expect(new Set(upstream.seenAuth)).toEqual(new Set(['Bearer upstream-secret']));
  });
});
