import { Writable } from 'node:stream';
import type { Client } from '@modelcontextprotocol/client';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_AUTHOR } from '../approvals/approvals-fixtures.js';
import { request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import {
  type AgentClientSetup,
  ASKING_SERVER,
  connectAgent,
  serversYaml,
  textOf,
  writeGatewayFiles,
} from './mcp-fixtures.js';

const POLICY = `apiVersion: warden/v1
kind: Policy
metadata:
  name: asking
  owner: ${POLICY_AUTHOR}
spec:
  agents:
    roles: [mcp-user]
  rules:
    - id: asking-all
      effect: allow
      tools: ["plain.*", "rooted.*", "chatty.*", "hasty.*"]
      reason: Tests of upstreams that ask their client
`;

const asking = (name: string, extra = '') => `  - name: ${name}
    transport: stdio
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(ASKING_SERVER)}]
    timeoutSeconds: 10
${extra}`;

interface Answer {
  kind: string;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

/** What the asking upstream got back for each request it sent during the call, and its pid. */
function answersOf(result: { content?: unknown; isError?: unknown }): { pid: number; answers: Answer[] } {
  expect(result.isError).toBeFalsy();
  return JSON.parse(textOf(result));
}

/**
 * Upstreams that ask their client (Warden) for sampling, elicitation or roots during a call: refused
 * unless the server entry allows it; roots answered from the entry; sampling and elicitation relayed
 * to the MCP client of the agent whose call it is, over a connection of that agent's own.
 */
describe('MCP gateway: what upstreams ask of their client', () => {
  let t: TestNode;
  let url: string;
  const logs: { level: number; msg: string; server?: string; method?: string; reason?: string }[] = [];
  const raw: string[] = [];
  let first: { agentId: string; key: string };
  let second: { agentId: string; key: string };
  /** The sampling and elicitation requests the agents' clients were asked, in order. */
  const asked: { agent: string; method: string; params: Record<string, unknown> }[] = [];
  const clients: Client[] = [];

  /** An agent's client that declares sampling and form elicitation and answers both. */
  const helpful = (agent: string, options: AgentClientSetup['options'] = {}): AgentClientSetup => ({
    options: { capabilities: { sampling: {}, elicitation: { form: {} } }, ...options },
    prepare: (client) => {
      client.setRequestHandler('sampling/createMessage', async (request) => {
        asked.push({ agent, method: request.method, params: request.params });
        return {
          role: 'assistant',
          model: 'test-model',
          content: { type: 'text', text: `Paris, says ${agent}` },
        };
      });
      client.setRequestHandler('elicitation/create', async (request) => {
        asked.push({ agent, method: request.method, params: request.params });
        return { action: 'accept', content: { colour: 'teal' } };
      });
    },
  });

  async function connect(key: string, era: 'modern' | 'legacy', setup?: AgentClientSetup) {
    const client = await connectAgent(url, key, era, undefined, setup);
    clients.push(client);
    return client;
  }

  async function decisionsOf(agentId: string, tool: string) {
    await t.node.mcp.idle();
    return t.node.storage.db
      .selectFrom('decisions')
      .select(['effect', 'outcome_status'])
      .where('agent_id', '=', agentId)
      .where('tool', '=', tool)
      .execute();
  }

  beforeAll(async () => {
    const files = await writeGatewayFiles(
      serversYaml(
        asking('plain') +
          asking(
            'rooted',
            `    allow: [roots]
    roots:
      - { uri: "file:///srv/shared", name: shared }
      - { uri: "file:///srv/reports" }
`,
          ) +
          asking('chatty', '    allow: [sampling, elicitation]\n') +
          asking('hasty', '    allow: [sampling]\n').replace('timeoutSeconds: 10', 'timeoutSeconds: 1'),
      ),
      POLICY,
    );
    const stream = new Writable({
      write(chunk, _encoding, done) {
        raw.push(String(chunk));
        logs.push(JSON.parse(String(chunk)));
        done();
      },
    });
    t = await startTestNode('sqlite', {
      policyDir: files.policyDir,
      settings: { mcpServersFile: files.serversFile },
      logger: pino({ level: 'warn' }, stream),
    });
    url = `${await t.node.listen()}/mcp`;
    const a = await seedAgent(t.node, { roles: ['mcp-user'] });
    const b = await seedAgent(t.node, { roles: ['mcp-user'] });
    first = { agentId: a.agent.id, key: a.key };
    second = { agentId: b.agent.id, key: b.key };
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await t?.close();
  });

  it('refuses every request of an upstream whose entry allows none, and the call still completes', async () => {
    const client = await connect(first.key, 'modern', helpful('first'));
    const result = await client.callTool({
      name: 'plain.ask',
      arguments: { asks: ['sampling', 'elicitation', 'roots', 'other'] },
    });
    const { answers } = answersOf(result);
    expect(answers).toEqual([
      {
        kind: 'sampling',
        error: {
          code: -32601,
          message:
            'Warden refuses sampling/createMessage from upstream plain: the server entry does not allow sampling',
        },
      },
      {
        kind: 'elicitation',
        error: {
          code: -32601,
          message:
            'Warden refuses elicitation/create from upstream plain: the server entry does not allow elicitation',
        },
      },
      {
        kind: 'roots',
        error: {
          code: -32601,
          message: 'Warden refuses roots/list from upstream plain: the server entry does not allow roots',
        },
      },
      {
        kind: 'other',
        error: {
          code: -32601,
          message: expect.stringMatching(
            /^Warden refuses fixture\/peek from upstream plain: Warden answers only sampling, elicitation, roots requests/,
          ),
        },
      },
    ]);
    // The agent was never asked; the call ran and is recorded as any other.
    expect(asked).toEqual([]);
    expect(await decisionsOf(first.agentId, 'plain.ask')).toEqual([
      { effect: 'allow', outcome_status: 'succeeded' },
    ]);
    const refusals = logs.filter(
      (line) => line.msg === 'upstream request refused' && line.server === 'plain',
    );
    expect(refusals.map((line) => [line.level, line.method])).toEqual([
      [40, 'sampling/createMessage'],
      [40, 'elicitation/create'],
      [40, 'roots/list'],
      [40, 'fixture/peek'],
    ]);
    // Never the request's content.
    expect(raw.join('')).not.toContain('capital of France');
    expect(raw.join('')).not.toContain('the agent');
  });

  it('answers roots/list with the entry’s roots, and still refuses what the entry does not allow', async () => {
    const client = await connect(first.key, 'modern');
    const { answers } = answersOf(
      await client.callTool({ name: 'rooted.ask', arguments: { asks: ['roots', 'sampling'] } }),
    );
    expect(answers).toEqual([
      {
        kind: 'roots',
        result: { roots: [{ uri: 'file:///srv/shared', name: 'shared' }, { uri: 'file:///srv/reports' }] },
      },
      {
        kind: 'sampling',
        error: {
          code: -32601,
          message:
            'Warden refuses sampling/createMessage from upstream rooted: the server entry does not allow sampling',
        },
      },
    ]);
  });

  describe.each(['modern', 'legacy'] as const)('relay to an agent client of the %s era', (era) => {
    it('relays sampling and elicitation to the agent whose call it is, and its answers to the upstream', async () => {
      asked.length = 0;
      const client = await connect(first.key, era, helpful(`first-${era}`));
      const result = await client.callTool({
        name: 'chatty.ask',
        arguments: { asks: ['sampling', 'elicitation'] },
      });
      const { answers } = answersOf(result);
      expect(answers).toEqual([
        {
          kind: 'sampling',
          result: {
            role: 'assistant',
            model: 'test-model',
            content: { type: 'text', text: `Paris, says first-${era}` },
          },
        },
        { kind: 'elicitation', result: { action: 'accept', content: { colour: 'teal' } } },
      ]);
      expect(asked.map((a) => [a.agent, a.method])).toEqual([
        [`first-${era}`, 'sampling/createMessage'],
        [`first-${era}`, 'elicitation/create'],
      ]);
      expect(asked[0]?.params).toMatchObject({
        messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }],
        maxTokens: 20,
      });
      expect(asked[1]?.params).toMatchObject({ message: 'Which colour should the report use?' });
    });
  });

  it('decides a relayed call once: the retries that carry the answers continue it', async () => {
    const client = await connect(second.key, 'modern', helpful('second'));
    const before = (await decisionsOf(second.agentId, 'chatty.ask')).length;
    answersOf(await client.callTool({ name: 'chatty.ask', arguments: { asks: ['sampling', 'sampling'] } }));
    const after = await decisionsOf(second.agentId, 'chatty.ask');
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)).toEqual({ effect: 'allow', outcome_status: 'succeeded' });
  });

  it.each(['modern', 'legacy'] as const)(
    'refuses to relay to a %s agent client that did not declare the capability; the call goes on',
    async (era) => {
      const client = await connect(second.key, era);
      const { answers } = answersOf(
        await client.callTool({ name: 'chatty.ask', arguments: { asks: ['sampling', 'elicitation'] } }),
      );
      expect(answers).toEqual([
        {
          kind: 'sampling',
          error: {
            code: -32600,
            message:
              "Warden refuses sampling/createMessage from upstream chatty: the agent's client did not declare the sampling capability",
          },
        },
        {
          kind: 'elicitation',
          error: {
            code: -32600,
            message:
              "Warden refuses elicitation/create from upstream chatty: the agent's client did not declare the elicitation capability",
          },
        },
      ]);
    },
  );

  it('gives each agent its own connection to a server that relays, and shares the others', async () => {
    const firstClient = await connect(first.key, 'modern');
    const secondClient = await connect(second.key, 'modern');
    const pid = async (client: Client, tool: string) =>
      answersOf(await client.callTool({ name: tool, arguments: { asks: [] } })).pid;
    const chattyFirst = await pid(firstClient, 'chatty.ask');
    expect(await pid(firstClient, 'chatty.ask')).toBe(chattyFirst);
    expect(await pid(secondClient, 'chatty.ask')).not.toBe(chattyFirst);
    expect(await pid(secondClient, 'plain.ask')).toBe(await pid(firstClient, 'plain.ask'));
  });

  it('refuses to relay while several calls are in flight on the agent’s connection', async () => {
    asked.length = 0;
    const client = await connect(first.key, 'modern', helpful('first'));
    const [waited, asking] = await Promise.all([
      client.callTool({ name: 'chatty.wait', arguments: { ms: 1_500 } }),
      client.callTool({ name: 'chatty.ask', arguments: { asks: ['sampling'], delayMs: 500 } }),
    ]);
    expect(textOf(waited)).toBe('waited');
    expect(answersOf(asking).answers).toEqual([
      {
        kind: 'sampling',
        error: {
          code: -32600,
          message:
            'Warden refuses sampling/createMessage from upstream chatty: 2 requests are in flight on this connection and Warden cannot tell which one asks',
        },
      },
    ]);
    expect(asked).toEqual([]);
  });

  it('ends a relayed call at its timeout while the agent takes too long to answer', async () => {
    const client = await connect(first.key, 'modern', {
      options: { capabilities: { sampling: {} } },
      prepare: (c) =>
        c.setRequestHandler('sampling/createMessage', async () => {
          await new Promise((resolve) => setTimeout(resolve, 1_500));
          return { role: 'assistant', model: 'm', content: { type: 'text', text: 'too late' } };
        }),
    });
    const result = await client.callTool({ name: 'hasty.ask', arguments: { asks: ['sampling'] } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('upstream hasty did not answer within 1 s');
    expect(await decisionsOf(first.agentId, 'hasty.ask')).toEqual([
      { effect: 'allow', outcome_status: 'failed' },
    ]);
  });

  it('shows security what each server may ask and how many agents have a connection of their own', async () => {
    const res = await request(t.node, 'GET', '/v1/mcp/servers', t.adminToken);
    const servers = res.json().servers as { name: string }[];
    expect(servers.find((s) => s.name === 'rooted')).toMatchObject({
      allow: ['roots'],
      roots: [{ uri: 'file:///srv/shared', name: 'shared' }, { uri: 'file:///srv/reports' }],
      status: expect.not.objectContaining({ agentConnections: expect.anything() }),
    });
    expect(servers.find((s) => s.name === 'chatty')).toMatchObject({
      allow: ['sampling', 'elicitation'],
      roots: [],
      status: { agentConnections: 2 },
    });
  });

  it('continues a call only for the agent that started it, with the same tool and arguments', async () => {
    // A client that hands input_required back instead of answering it, to show its requestState.
    const manual = await connect(
      first.key,
      'modern',
      helpful('first', { inputRequired: { autoFulfill: false } }),
    );
    const call = { name: 'chatty.ask', arguments: { asks: ['sampling'] } };
    const pending = (await manual.request(
      { method: 'tools/call', params: call },
      { allowInputRequired: true },
    )) as unknown as { resultType: string; requestState: string; inputRequests: Record<string, unknown> };
    expect(pending.resultType).toBe('input_required');
    const [key] = Object.keys(pending.inputRequests);
    expect(pending.inputRequests[key as string]).toMatchObject({ method: 'sampling/createMessage' });
    const answer = {
      [key as string]: { role: 'assistant', model: 'm', content: { type: 'text', text: 'Lyon' } },
    };

    const thief = await connect(second.key, 'modern');
    const retry = (client: Client, params: Record<string, unknown>) =>
      client.request({
        method: 'tools/call',
        params: { ...params, inputResponses: answer, requestState: pending.requestState },
      });
    await expect(retry(thief, call)).rejects.toThrow(/requestState: no call of yours/);
    await expect(retry(manual, { ...call, arguments: { asks: ['elicitation'] } })).rejects.toThrow(
      /requestState: no call of yours/,
    );
    const done = await retry(manual, call);
    expect(answersOf(done as { content?: unknown }).answers).toEqual([
      {
        kind: 'sampling',
        result: { role: 'assistant', model: 'm', content: { type: 'text', text: 'Lyon' } },
      },
    ]);
    // Collected: the same requestState continues nothing any more.
    await expect(retry(manual, call)).rejects.toThrow(/requestState: no call of yours/);
  });
});
