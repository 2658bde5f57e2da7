import { lookup } from 'node:dns/promises';
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPrivateAddress, privateHostOf, publicFetch } from '../../src/net/public-network.js';
import { request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { FAKE_OPENAI_KEY, type FakeOpenAi, startFakeOpenAi } from '../llm/fakes/openai-fake.js';
import { writeLlmFiles } from '../llm/llm-fixtures.js';

describe('private networks', () => {
  it('knows private, local and reserved addresses from public ones', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.5',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:a9fe:a9fe',
      '64:ff9b::10.0.0.1',
      'not an address',
    ]) {
      expect(isPrivateAddress(address), address).toBe(true);
    }
    for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(isPrivateAddress(address), address).toBe(false);
    }
  });

  it('names the private host of a URL, whatever way the address is written', () => {
    expect(privateHostOf('http://localhost:8080/v1')).toBe('localhost');
    expect(privateHostOf('http://api.localhost/v1')).toBe('api.localhost');
    expect(privateHostOf('http://[::1]:8080/')).toBe('::1');
    // The URL parser reads these as 127.0.0.1.
    expect(privateHostOf('http://0x7f000001/')).toBe('127.0.0.1');
    expect(privateHostOf('http://2130706433/')).toBe('127.0.0.1');
    expect(privateHostOf('https://api.openai.com/v1')).toBeUndefined();
    expect(privateHostOf('https://8.8.8.8/')).toBeUndefined();
  });

  describe('publicFetch', () => {
    let server: Server;
    let port: number;
    beforeAll(async () => {
      server = createServer((_req, res) => res.end('inside'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('refuses to connect to a private address, given as an address or as a name', async () => {
      for (const url of [`http://127.0.0.1:${port}/`, `http://localhost:${port}/`]) {
        const error = await publicFetch(url).then(
          () => undefined,
          (e: unknown) => e as { cause?: { code?: string; message?: string } },
        );
        expect(error?.cause?.code, url).toBe('EPRIVATENETWORK');
      }
      // Plain fetch reaches it: the refusal is publicFetch's.
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('inside');
    });
  });
});

/**
 * A node that keeps upstreams added through the API off private networks (the default): an admin
 * cannot aim an LLM provider or an MCP server at the node's own network (SSRF). Entries naming a
 * private address are refused at once; a name that resolves to one is refused when connecting.
 */
describe('upstreams added through the API on a node that keeps them public (sqlite)', () => {
  let t: TestNode;
  let fake: FakeOpenAi;
  let agentKey: string;
  let localName: string | undefined;
  const security = () => t.adminToken;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    const files = await writeLlmFiles(fake.url, 'http://127.0.0.1:9');
    t = await startTestNode('sqlite', {
      policyDir: files.policyDir,
      settings: { apiUpstreamNetworks: 'public' },
    });
    agentKey = (await seedAgent(t.node, { roles: ['llm-user'] })).key;
    // This machine's own name resolves locally (/etc/hosts): a name for a private address.
    const own = hostname();
    const resolved = await lookup(own).catch(() => undefined);
    localName = resolved && isPrivateAddress(resolved.address) ? own : undefined;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('refuses a provider or a server whose URL is a private address, naming the field', async () => {
    const provider = await request(t.node, 'POST', '/v1/llm/providers', security(), {
      name: 'inside',
      kind: 'openai-compatible',
      baseUrl: 'http://169.254.169.254/v1',
      apiKey: { secret: 'k' },
      models: ['m'],
      prices: { m: { inputPerMTok: 1, outputPerMTok: 1 } },
    });
    expect(provider.statusCode).toBe(400);
    expect(provider.body).toContain('body.baseUrl');
    expect(provider.body).toContain('private network');
    const server = await request(t.node, 'POST', '/v1/mcp/servers', security(), {
      name: 'inside',
      transport: 'http',
      url: 'http://localhost:8080/mcp',
    });
    expect(server.statusCode).toBe(400);
    expect(server.body).toContain('body.url');
    const patched = await request(t.node, 'GET', '/v1/llm/providers', security());
    expect(patched.body).not.toContain('inside');
  });

  it('refuses, when connecting, a provider whose name resolves to a private address', async (context) => {
    if (!localName) context.skip();
    const added = await request(t.node, 'POST', '/v1/llm/providers', security(), {
      name: 'byname',
      kind: 'openai',
      baseUrl: fake.url.replace('127.0.0.1', localName as string),
      apiKey: { secret: FAKE_OPENAI_KEY },
      models: ['gpt-4o-mini'],
    });
    expect(added.statusCode, added.body).toBe(201);
    const before = fake.requests.length;
    const openai = new OpenAI({
      baseURL: `${await t.node.listen()}/llm/openai/v1`,
      apiKey: agentKey,
      maxRetries: 0,
    });
    const error = await openai.chat.completions
      .create({ model: 'byname/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 })
      .then(
        () => undefined,
        (e: unknown) => e as { status?: number; message?: string },
      );
    expect(error?.status).toBe(502);
    expect(error?.message).toContain('is on a private network');
    expect(fake.requests.length).toBe(before);
  });

  it('refuses, when connecting, an MCP server whose name resolves to a private address', async (context) => {
    if (!localName) context.skip();
    const added = await request(t.node, 'POST', '/v1/mcp/servers', security(), {
      name: 'byname',
      transport: 'http',
      url: fake.url.replace('127.0.0.1', localName as string).replace('/v1', '/mcp'),
      timeoutSeconds: 5,
    });
    expect(added.statusCode, added.body).toBe(201);
    const before = fake.requests.length;
    const tools = await request(t.node, 'GET', '/v1/mcp/servers/byname/tools', security());
    expect(tools.statusCode).toBe(503);
    expect(fake.requests.length).toBe(before);
  });
});
