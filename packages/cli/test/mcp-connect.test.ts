import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { seedAgent } from '../../server/test/helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../../server/test/helpers/test-node.js';
import { connectAgent, textOf, writeGatewayFiles } from '../../server/test/mcp/mcp-fixtures.js';
import { type Bridge, connectBridge, type Era, runBridge } from './helpers/mcp-bridge.js';
import { TcpRelay } from './helpers/tcp-relay.js';

/**
 * `warden mcp connect` between a desktop client speaking MCP over stdio (an SDK client, of either
 * protocol era) and a real gateway node whose one upstream is server-everything, under the gateway
 * test policy: the `mcp-user` agent may echo and run the long operation; nobody may read the
 * environment.
 */

const ERAS = ['legacy', 'modern'] as const;

let t: TestNode;
let gatewayFilesDir: string;
let url: string;
let key: string;
let agentId: string;
const bridges: Bridge[] = [];
const toolsChanged: Record<Era, number> = { legacy: 0, modern: 0 };
const bridgeOf = {} as Record<Era, Bridge>;

beforeAll(async () => {
  const files = await writeGatewayFiles();
  gatewayFilesDir = dirname(files.serversFile);
  t = await startTestNode('sqlite', {
    policyDir: files.policyDir,
    settings: { mcpServersFile: files.serversFile },
  });
  url = await t.node.listen();
  const agent = await seedAgent(t.node, { roles: ['mcp-user'] });
  key = agent.key;
  agentId = agent.agent.id;
  for (const era of ERAS) {
    bridgeOf[era] = await connectBridge({ url, key, era, onToolsChanged: () => toolsChanged[era]++ });
    bridges.push(bridgeOf[era]);
  }
}, 90_000);

afterAll(async () => {
  // Bridges first: the node does not close while a client holds a listen stream open.
  await Promise.all(bridges.map((bridge) => bridge.close()));
  await t?.close();
  if (gatewayFilesDir) await rm(gatewayFilesDir, { recursive: true, force: true });
});

/** What the gateway itself shows this agent at `path`, asked directly over HTTP. */
async function gatewayTools(path: string) {
  const direct = await connectAgent(`${url}${path}`, key, 'modern');
  try {
    return (await direct.listTools()).tools;
  } finally {
    await direct.close();
  }
}

describe('warden mcp connect, relaying a desktop client to the gateway', () => {
  // First: the upstream starts on the first listing, and server-everything then adds the tools it
  // registers after its handshake, which the gateway announces as tools/list_changed.
  it("passes the gateway's tools/list_changed on to clients of either era", async () => {
    expect(toolsChanged).toEqual({ legacy: 0, modern: 0 });
    await gatewayTools('/mcp');
    await vi.waitFor(() => expect(toolsChanged.legacy).toBeGreaterThan(0), { timeout: 10_000 });
    await vi.waitFor(() => expect(toolsChanged.modern).toBeGreaterThan(0), { timeout: 10_000 });
  });

  describe.each(ERAS)('%s-era client', (era) => {
    let client: Client;
    beforeAll(() => {
      client = bridgeOf[era].client;
    });

    it('speaks the era the client opened with', () => {
      if (era === 'modern') expect(client.getProtocolEra()).toBe('modern');
      else expect(client.getProtocolEra()).toBe('legacy');
      expect(client.getInstructions()).toContain('Tools here pass Warden');
    });

    it('lists exactly the tools /mcp shows this agent, under their Warden names', async () => {
      const { tools } = await client.listTools();
      expect(tools).toEqual(await gatewayTools('/mcp'));
      expect(tools.map((tool) => tool.name).sort()).toEqual([
        'everything.echo',
        'everything.get-sum',
        'everything.trigger-long-running-operation',
      ]);
    });

    it("relays an allowed call, with the caller's Warden context, and returns the echo", async () => {
      const result = await client.callTool({
        name: 'everything.echo',
        arguments: { message: `hi ${era}` },
        _meta: { warden: { initiator: `desk-${era}@example.test` } },
      });
      expect(result.isError).toBeFalsy();
      expect(textOf(result)).toBe(`Echo: hi ${era}`);
      const decision = await t.node.storage.db
        .selectFrom('decisions')
        .select(['effect', 'outcome_status', 'detail'])
        .where('agent_id', '=', agentId)
        .where('tool', '=', 'everything.echo')
        .orderBy('created_at', 'desc')
        .executeTakeFirstOrThrow();
      expect(decision).toMatchObject({ effect: 'allow', outcome_status: 'succeeded' });
      expect(JSON.parse(decision.detail).context).toMatchObject({
        interface: 'mcp',
        initiator: `desk-${era}@example.test`,
      });
    });

    it('answers a denied call with a tool error naming the code, and never runs it', async () => {
      const result = await client.callTool({ name: 'everything.get-env', arguments: {} });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain('Warden denied this call (rule)');
      expect(textOf(result)).not.toContain('PATH');
      expect(result._meta?.['warden/decision']).toMatchObject({ effect: 'deny', code: 'rule' });
    });

    it("passes the gateway's protocol errors on as they are", async () => {
      await expect(client.callTool({ name: 'nowhere.tool', arguments: {} })).rejects.toThrow(
        /unknown tool "nowhere.tool"/,
      );
    });

    it('relays progress notifications of a long call', async () => {
      const progress: { progress: number; total?: number }[] = [];
      const result = await client.callTool(
        { name: 'everything.trigger-long-running-operation', arguments: { duration: 1.5, steps: 3 } },
        { onprogress: (update) => progress.push(update) },
      );
      expect(textOf(result)).toContain('Long running operation completed');
      // server-everything sometimes sends its last step together with the result, which the SDK
      // then drops even on a direct connection; the earlier steps always arrive.
      expect(progress.length).toBeGreaterThan(0);
      expect(progress[0]).toEqual({ progress: 1, total: 3 });
    });

    it('relays a cancellation: the upstream call is stopped and recorded as failed', async () => {
      const duration = era === 'legacy' ? 6 : 7;
      const cancel = new AbortController();
      const call = client.callTool(
        { name: 'everything.trigger-long-running-operation', arguments: { duration, steps: 6 } },
        { onprogress: () => cancel.abort(new Error('the user pressed stop')), signal: cancel.signal },
      );
      await expect(call).rejects.toThrow(/the user pressed stop/);
      await vi.waitFor(
        async () => {
          const decisions = await t.node.storage.db
            .selectFrom('decisions')
            .select(['outcome_status', 'args'])
            .where('agent_id', '=', agentId)
            .where('tool', '=', 'everything.trigger-long-running-operation')
            .execute();
          const cancelled = decisions.find((d) => JSON.parse(d.args).duration === duration);
          expect(cancelled?.outcome_status).toBe('failed');
        },
        { timeout: duration * 1000 - 1500, interval: 200 },
      );
    });
  });

  it('with --server, shows and calls the upstream names, as /mcp/<server> does', async () => {
    const bridge = await connectBridge({ url, key, era: 'legacy', args: ['--server', 'everything'] });
    bridges.push(bridge);
    const { tools } = await bridge.client.listTools();
    expect(tools).toEqual(await gatewayTools('/mcp/everything'));
    expect(tools.map((tool) => tool.name)).toContain('echo');
    const result = await bridge.client.callTool({ name: 'echo', arguments: { message: 'one server' } });
    expect(textOf(result)).toBe('Echo: one server');
    expect(bridge.stderr()).toContain(`relaying stdio to the Warden gateway at ${url}/mcp/everything`);
  });

  it('writes diagnostics to stderr only, and never the key', () => {
    for (const bridge of bridges) {
      expect(bridge.stderr()).toContain('warden mcp connect: relaying stdio to the Warden gateway');
      expect(bridge.stderr()).not.toContain(key);
    }
  });
});

describe('warden mcp connect, refusing to start', () => {
  it('without WARDEN_AGENT_KEY: exit 2, the reason on stderr, nothing on stdout', async () => {
    const run = await runBridge({ WARDEN_URL: url });
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toContain('warden: mcp connect: set WARDEN_AGENT_KEY');
  });

  it('with a key that is not an agent key: exit 2, and the key is not repeated', async () => {
    const run = await runBridge({ WARDEN_URL: url, WARDEN_AGENT_KEY: t.adminToken });
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toContain('WARDEN_AGENT_KEY is not an agent key');
    expect(run.stderr).toContain('this is a human token');
    expect(run.stderr).not.toContain(t.adminToken);
  });

  it('with an agent key the gateway refuses: exit 1, saying so', async () => {
    const unknown = 'wdn_a_notarealkeynotarealkeynotarealkey000000';
    const run = await runBridge({ WARDEN_URL: url, WARDEN_AGENT_KEY: unknown });
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toContain(`the Warden gateway at ${url}/mcp refused WARDEN_AGENT_KEY (HTTP 401`);
    expect(run.stderr).not.toContain(unknown);
  });

  it('when the gateway cannot be reached: exit 1, naming the address and the cause', async () => {
    const relay = new TcpRelay(Number(new URL(url).port));
    await relay.start();
    await relay.stop();
    const run = await runBridge({ WARDEN_URL: relay.url, WARDEN_AGENT_KEY: key });
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toContain(
      `cannot connect to the Warden server at ${relay.url}/mcp: connection refused`,
    );
  });

  it('with --server naming no server of the tenant: exit 1, the gateway saying so', async () => {
    const run = await runBridge({ WARDEN_URL: url, WARDEN_AGENT_KEY: key }, ['--server', 'nowhere']);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toContain('answered HTTP 404: no MCP server named nowhere in this tenant');
  });
});

describe('warden mcp connect, when the gateway drops away and comes back', () => {
  it('answers with the cause meanwhile, then relays again and has the client list tools anew', async () => {
    const relay = new TcpRelay(Number(new URL(url).port));
    await relay.start();
    let changes = 0;
    const bridge = await connectBridge({
      url: relay.url,
      key,
      era: 'modern',
      onToolsChanged: () => changes++,
    });
    bridges.push(bridge);
    try {
      expect(
        textOf(await bridge.client.callTool({ name: 'everything.echo', arguments: { message: 'a' } })),
      ).toBe('Echo: a');

      await relay.stop();
      await expect(
        bridge.client.callTool({ name: 'everything.echo', arguments: { message: 'b' } }),
      ).rejects.toThrow(`cannot connect to the Warden server at ${relay.url}/mcp: connection refused`);
      await expect(bridge.client.listTools()).rejects.toThrow('connection refused');
      expect(bridge.stderr()).toContain(`lost the Warden gateway at ${relay.url}/mcp`);

      await relay.start();
      const before = changes;
      const result = await bridge.client.callTool({ name: 'everything.echo', arguments: { message: 'c' } });
      expect(textOf(result)).toBe('Echo: c');
      await vi.waitFor(() => expect(changes).toBeGreaterThan(before), { timeout: 5_000 });
      expect(bridge.stderr()).toContain(`reconnected to the Warden gateway at ${relay.url}/mcp`);
    } finally {
      await bridge.close();
      await relay.stop();
    }
  }, 30_000);
});
