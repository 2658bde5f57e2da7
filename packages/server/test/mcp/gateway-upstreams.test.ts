import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_AUTHOR } from '../approvals/approvals-fixtures.js';
import { request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { connectAgent, serversYaml, textOf, UNRULY_SERVER, writeGatewayFiles } from './mcp-fixtures.js';

const UNRULY_POLICY = `apiVersion: warden/v1
kind: Policy
metadata:
  name: unruly
  owner: ${POLICY_AUTHOR}
spec:
  agents:
    roles: [mcp-user]
  rules:
    - id: unruly-all
      effect: allow
      tools: ["unruly.*"]
      reason: Tests of a misbehaving upstream
`;

/** A hostile or broken upstream fails its own calls, never the node or another server's. */
describe('MCP gateway with an unruly upstream', () => {
  let t: TestNode;
  let client: Client;
  let agentId: string;

  beforeAll(async () => {
    process.env.UNRULY_TOKEN_SOURCE = 'tok-from-env';
    process.env.WARDEN_TEST_SECRET = 'must-not-leak';
    const files = await writeGatewayFiles(
      serversYaml(`  - name: unruly
    transport: stdio
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(UNRULY_SERVER)}]
    env:
      UNRULY_TOKEN: { fromEnv: UNRULY_TOKEN_SOURCE }
      HUGE_BYTES: "2000000"
    timeoutSeconds: 2
`),
      UNRULY_POLICY,
    );
    t = await startTestNode('sqlite', {
      policyDir: files.policyDir,
      settings: { mcpServersFile: files.serversFile, mcpMaxResultBytes: 1_048_576 },
    });
    const url = `${await t.node.listen()}/mcp`;
    const seeded = await seedAgent(t.node, { roles: ['mcp-user'] });
    agentId = seeded.agent.id;
    client = await connectAgent(url, seeded.key, 'modern');
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await t?.close();
  });

  async function outcomeOf(tool: string) {
    await t.node.mcp.idle();
    return t.node.storage.db
      .selectFrom('decisions')
      .select(['effect', 'outcome_status', 'outcome'])
      .where('agent_id', '=', agentId)
      .where('tool', '=', tool)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
  }

  it('prefixes every upstream tool with its server and drops names MCP does not allow', async () => {
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names.filter((n) => n.startsWith('unruly.')).sort()).toEqual([
      'unruly.crash',
      'unruly.hang',
      'unruly.huge',
      'unruly.ok',
      'unruly.secret',
      'unruly.shadow.ok',
    ]);
    // `shadow.ok` of unruly is `unruly.shadow.ok`: it cannot pass for a server named shadow.
    await expect(client.callTool({ name: 'shadow.ok', arguments: {} })).rejects.toThrow(/unknown tool/);
  });

  it('starts the upstream with its configured values and a minimal environment, not the node’s', async () => {
    const result = await client.callTool({ name: 'unruly.secret', arguments: {} });
    expect(textOf(result)).toBe('token=tok-from-env warden=(unset)');
  });

  it('fails a call the upstream never answers after its timeout, and records it as failed', async () => {
    const started = Date.now();
    const result = await client.callTool({ name: 'unruly.hang', arguments: {} });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('upstream unruly did not answer within 2 s');
    expect(await outcomeOf('unruly.hang')).toMatchObject({ effect: 'allow', outcome_status: 'failed' });
  });

  it('refuses to pass on a result over the size limit', async () => {
    const result = await client.callTool({ name: 'unruly.huge', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/returned \d+ bytes, over the gateway's limit of 1048576/);
    expect(JSON.stringify(result).length).toBeLessThan(10_000);
    expect(await outcomeOf('unruly.huge')).toMatchObject({ outcome_status: 'failed' });
  });

  it('fails the call in flight when the upstream dies, and starts it again after a backoff', async () => {
    const before = textOf(await client.callTool({ name: 'unruly.ok', arguments: {} }));
    const crashed = await client.callTool({ name: 'unruly.crash', arguments: {} });
    expect(crashed.isError).toBe(true);
    expect(textOf(crashed)).toContain('upstream unruly closed the connection');
    expect(await outcomeOf('unruly.crash')).toMatchObject({ outcome_status: 'failed' });

    // Other servers are unaffected meanwhile.
    const echo = await client.callTool({ name: 'everything.echo', arguments: { message: 'still here' } });
    expect(textOf(echo)).toBe('Echo: still here');

    let after = '';
    for (let i = 0; i < 50 && !after.startsWith('ok from'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      after = textOf(await client.callTool({ name: 'unruly.ok', arguments: {} }));
    }
    expect(after).toMatch(/^ok from pid \d+$/);
    expect(after).not.toBe(before);
  });

  it('shows security its servers with their status and secrets as references only', async () => {
    const res = await request(t.node, 'GET', '/v1/mcp/servers', t.adminToken);
    expect(res.statusCode).toBe(200);
    const unruly = (res.json().servers as { name: string }[]).find((s) => s.name === 'unruly');
    expect(unruly).toMatchObject({
      transport: 'stdio',
      env: { UNRULY_TOKEN: { fromEnv: 'UNRULY_TOKEN_SOURCE' }, HUGE_BYTES: '(plain value)' },
      timeoutSeconds: 2,
      status: { state: 'ready', restarts: 1 },
    });
    expect(res.body).not.toContain('tok-from-env');
    const tools = await request(t.node, 'GET', '/v1/mcp/servers/unruly/tools', t.adminToken);
    expect(tools.json().tools.map((tool: { name: string }) => tool.name)).toContain('unruly.ok');
    expect((await request(t.node, 'GET', '/v1/mcp/servers/nothere/tools', t.adminToken)).statusCode).toBe(
      404,
    );
  });
});
