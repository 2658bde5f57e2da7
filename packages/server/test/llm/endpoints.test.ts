import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  costOf,
  fromEmbeddingsUsage,
  fromResponsesUsage,
  type ModelUsage,
  priceFor,
} from '../../src/llm/pricing/index.js';
import { auditEventsOf } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import type { TestNode } from '../helpers/test-node.js';
import { FAKE_ANTHROPIC_KEY, type FakeAnthropic } from './fakes/anthropic-fake.js';
import { FAKE_OPENAI_KEY, type FakeOpenAi } from './fakes/openai-fake.js';
import { decisionOf as decisionInNode, type LlmBed, startLlmBed } from './llm-fixtures.js';

/** USD of a normalised usage at the price table's price, as Warden must have charged it. */
function expectedUsd(model: string, usage: ModelUsage | undefined): number {
  const price = priceFor('openai', model);
  if (!price || !usage) throw new Error(`no price or usage for ${model}`);
  return costOf(price, usage) / 1_000_000;
}

const DOCS_MCP = {
  type: 'mcp',
  server_label: 'docs',
  server_url: 'https://mcp.example.test/docs',
  require_approval: 'never',
} as const;

/**
 * The Responses, embeddings, models and count_tokens endpoints of the LLM proxy, driven by the
 * official clients through Warden against the local fakes.
 */
describe('LLM proxy endpoints (sqlite)', () => {
  let t: TestNode;
  let fakeOpenAi: FakeOpenAi;
  let fakeAnthropic: FakeAnthropic;
  let base: string;
  let userKey: string;
  let cheapKey: string;
  let localKey: string;
  let openai: OpenAI;
  let anthropic: Anthropic;
  const client = (apiKey: string) => new OpenAI({ baseURL: `${base}/llm/openai/v1`, apiKey, maxRetries: 0 });

  let bed: LlmBed;

  beforeAll(async () => {
    bed = await startLlmBed();
    ({ t, fakeOpenAi, fakeAnthropic, base } = bed);
    userKey = (await seedAgent(t.node, { roles: ['llm-user'] })).key;
    cheapKey = (await seedAgent(t.node, { roles: ['llm-cheap'] })).key;
    localKey = (await seedAgent(t.node, { roles: ['llm-local'] })).key;
    openai = client(userKey);
    anthropic = new Anthropic({ baseURL: `${base}/llm/anthropic`, apiKey: userKey, maxRetries: 0 });
  }, 60_000);

  afterAll(() => bed?.close());

  const decisionOf = (decisionId: string) => decisionInNode(t.node, decisionId);

  const decisionCount = async () =>
    Number(
      (
        await t.node.storage.db
          .selectFrom('decisions')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  describe('POST /llm/openai/v1/responses', () => {
    it('answers a response as the provider did, priced exactly from its usage, audited with prompt and answer', async () => {
      const { data, response } = await openai.responses
        .create({
          model: 'gpt-4o',
          instructions: 'be brief',
          input: 'hello responses',
          max_output_tokens: 100,
        })
        .withResponse();
      expect(data.output_text).toBe('echo: hello responses');
      const decisionId = response.headers.get('x-warden-decision-id') as string;
      const cost = Number(response.headers.get('x-warden-cost-usd'));
      expect(cost).toBeCloseTo(expectedUsd('gpt-4o', fromResponsesUsage(data.usage)), 9);
      expect(cost).toBeGreaterThan(0);

      const sent = fakeOpenAi.requests.at(-1);
      expect(sent?.path).toBe('/v1/responses');
      expect(sent?.headers.authorization).toBe(`Bearer ${FAKE_OPENAI_KEY}`);
      expect(JSON.stringify(sent)).not.toContain(userKey);

      const decision = await decisionOf(decisionId);
      expect(decision).toMatchObject({
        tool: 'llm.openai.gpt-4o',
        effect: 'allow',
        outcome_status: 'succeeded',
      });
      expect(decision.outcome?.costUsd).toBe(cost);
      const events = await auditEventsOf(t.node, decisionId);
      const outcome = JSON.stringify(events.find((e) => e.type === 'decision.outcome')?.payload);
      expect(outcome).toContain('echo: hello responses');
      expect(outcome).toContain('be brief');
    });

    it('streams typed events, and prices the stream from the usage on response.completed', async () => {
      const { data: stream, response } = await openai.responses
        .create({ model: 'gpt-4o', input: 'stream the response', stream: true })
        .withResponse();
      let text = '';
      let usage: unknown;
      const types = new Set<string>();
      for await (const event of stream) {
        types.add(event.type);
        if (event.type === 'response.output_text.delta') text += event.delta;
        if (event.type === 'response.completed') usage = event.response.usage;
      }
      expect(text).toBe('echo: stream the response');
      expect(types).toContain('response.created');
      expect(usage).toBeDefined();
      const decision = await decisionOf(response.headers.get('x-warden-decision-id') as string);
      expect(decision.outcome_status).toBe('succeeded');
      expect(decision.outcome?.costUsd).toBeCloseTo(expectedUsd('gpt-4o', fromResponsesUsage(usage)), 9);
    });

    it('works with the SDK’s stream helper, function tools included', async () => {
      fakeOpenAi.script({ toolCalls: [{ name: 'lookup', arguments: { q: 'warden' } }] });
      const final = await openai.responses
        .stream({
          model: 'gpt-4o',
          input: 'use the tool',
          tools: [
            {
              type: 'function',
              name: 'lookup',
              parameters: { type: 'object', properties: { q: { type: 'string' } } },
              strict: false,
            },
          ],
        })
        .finalResponse();
      expect(final.output.find((item) => item.type === 'function_call')).toMatchObject({ name: 'lookup' });
      const row = await t.node.storage.db
        .selectFrom('decisions')
        .select(['id'])
        .where('tool', '=', 'llm.openai.gpt-4o')
        .orderBy('created_at', 'desc')
        .executeTakeFirstOrThrow();
      const decision = await decisionOf(row.id);
      expect(decision.outcome?.costUsd).toBeCloseTo(
        expectedUsd('gpt-4o', fromResponsesUsage(final.usage)),
        9,
      );
    });

    it('charges a stream that broke off (an error event) for what was delivered, as a failed outcome', async () => {
      fakeOpenAi.script({
        text: 'one two three four five six seven eight',
        fail: { kind: 'stream-error', afterChunks: 6 },
      });
      const response = await fetch(`${base}/llm/openai/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${userKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', input: 'break', stream: true }),
      });
      const raw = await response.text();
      expect(raw).toContain('event: error');
      expect(raw).toMatch(/: warden cost_usd=[0-9.]+ decision_id=dec_/);
      const decision = await decisionOf(response.headers.get('x-warden-decision-id') as string);
      expect(decision.outcome_status).toBe('failed');
      expect(decision.outcome?.costUsd as number).toBeGreaterThan(0);
    });

    it('refuses a hosted MCP tool the policy does not allow explicitly: 400 naming tools[i], recorded as a deny', async () => {
      const before = fakeOpenAi.requests.length;
      // The cheap agent's calls are allowed by the broad llm.* rule only: not enough for hosted MCP.
      const refused = await client(cheapKey)
        .responses.create({
          model: 'gpt-4o-mini',
          input: 'x',
          tools: [{ type: 'web_search' }, DOCS_MCP],
        })
        .withResponse()
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
      const error = refused as InstanceType<typeof OpenAI.APIError>;
      expect(error.param).toBe('tools[1]');
      expect(error.code).toBe('hosted_tool_refused');
      expect(error.message).toContain('tools[1] (mcp:docs)');
      const decision = await decisionOf(error.headers?.get('x-warden-decision-id') as string);
      expect(decision).toMatchObject({
        tool: 'llm.openai.gpt-4o-mini',
        effect: 'deny',
        code: 'hosted_tool_refused',
      });

      // llm-user's explicit rule allows mcp:docs, and no other server.
      const other = await openai.responses
        .create({ model: 'gpt-4o', input: 'x', tools: [{ ...DOCS_MCP, server_label: 'payments' }] })
        .catch((e: unknown) => e);
      expect(other).toBeInstanceOf(OpenAI.BadRequestError);
      expect((other as InstanceType<typeof OpenAI.APIError>).param).toBe('tools[0]');
      expect(fakeOpenAi.requests.length).toBe(before);
    });

    it('sends a hosted MCP tool a policy rule on args.hosted_tools allows', async () => {
      const { data, response } = await openai.responses
        .create({ model: 'gpt-4o', input: 'ask the docs', tools: [DOCS_MCP] })
        .withResponse();
      expect(data.output_text).toBe('echo: ask the docs');
      expect(fakeOpenAi.requests.at(-1)?.body).toMatchObject({ tools: [DOCS_MCP] });
      const decision = await decisionOf(response.headers.get('x-warden-decision-id') as string);
      expect(decision).toMatchObject({ effect: 'allow', outcome_status: 'succeeded' });
    });

    it('refuses background responses, which could not be priced, and checks the body in OpenAI’s shape', async () => {
      const background = await openai.responses
        .create({ model: 'gpt-4o', input: 'x', background: true })
        .catch((e: unknown) => e);
      expect(background).toBeInstanceOf(OpenAI.BadRequestError);
      expect((background as InstanceType<typeof OpenAI.APIError>).param).toBe('background');
      const capped = await openai.responses
        .create({ model: 'gpt-4o', input: 'x', max_output_tokens: 5000 })
        .catch((e: unknown) => e);
      expect(capped).toBeInstanceOf(OpenAI.PermissionDeniedError);
    });
  });

  describe('POST /llm/openai/v1/embeddings', () => {
    it('embeds through the provider, decided as the model and priced from its usage (input only)', async () => {
      const { data, response } = await openai.embeddings
        .create({ model: 'text-embedding-3-small', input: ['first text to embed', 'second one'] })
        .withResponse();
      expect(data.data).toHaveLength(2);
      expect(data.data[0]?.embedding.length).toBe(8);
      const cost = Number(response.headers.get('x-warden-cost-usd'));
      expect(cost).toBeGreaterThan(0);
      expect(cost).toBeCloseTo(expectedUsd('text-embedding-3-small', fromEmbeddingsUsage(data.usage)), 9);
      const decisionId = response.headers.get('x-warden-decision-id') as string;
      const decision = await decisionOf(decisionId);
      expect(decision).toMatchObject({
        tool: 'llm.openai.text-embedding-3-small',
        effect: 'allow',
        outcome_status: 'succeeded',
      });
      expect(decision.outcome?.costUsd).toBe(cost);
      const events = await auditEventsOf(t.node, decisionId);
      const outcome = JSON.stringify(events.find((e) => e.type === 'decision.outcome')?.payload);
      expect(outcome).toContain('first text to embed');
      expect(outcome).toContain('[2 embeddings of 8 dimensions]');
    });

    it('refuses a bad input in OpenAI’s shape', async () => {
      const bad = await openai.embeddings
        .create({ model: 'text-embedding-3-small', input: [] })
        .catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
      expect((bad as InstanceType<typeof OpenAI.APIError>).param).toBe('input');
    });
  });

  describe('GET /llm/openai/v1/models', () => {
    it('lists the models each agent may use, as OpenAI lists them', async () => {
      const page = await openai.models.list();
      const ids = page.data.map((m) => m.id).sort();
      // openai has no allow list: its aliases; local: its allow list and aliases, priced ones only.
      // `shared` is an alias of both, so each is named with its provider.
      expect(ids).toEqual(['fast', 'llama-local', 'local/shared', 'openai/shared']);
      expect(page.data[0]).toMatchObject({ object: 'model', created: 0 });
      expect(page.data.find((m) => m.id === 'fast')?.owned_by).toBe('openai');

      const local = await client(localKey).models.list();
      expect(local.data.map((m) => m.id).sort()).toEqual(['llama-local', 'local/shared']);
    });

    it('routes every listed name to its model', async () => {
      const shared = await openai.chat.completions
        .create({ model: 'local/shared', messages: [{ role: 'user', content: 'via the list' }] })
        .withResponse();
      const decision = await decisionOf(shared.response.headers.get('x-warden-decision-id') as string);
      expect(decision.tool).toBe('llm.local.llama-local');
    });
  });

  describe('POST /llm/anthropic/v1/messages with the MCP connector', () => {
    it('refuses mcp_servers the policy does not allow explicitly, in Anthropic’s shape, recorded as a deny', async () => {
      const before = fakeAnthropic.requests.length;
      const refused = await anthropic.beta.messages
        .create({
          model: 'claude-sonnet-4-5',
          max_tokens: 100,
          messages: [{ role: 'user', content: 'x' }],
          mcp_servers: [{ type: 'url', name: 'docs', url: 'https://mcp.example.test/docs' }],
          betas: ['mcp-client-2025-04-04'],
        })
        .withResponse()
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
      const error = refused as InstanceType<typeof Anthropic.APIError>;
      expect(error.message).toContain('hosted MCP');
      const decision = await decisionOf(error.headers?.get('x-warden-decision-id') as string);
      expect(decision).toMatchObject({ effect: 'deny', code: 'hosted_tool_refused' });
      expect(fakeAnthropic.requests.length).toBe(before);
    });
  });

  describe('POST /llm/anthropic/v1/messages/count_tokens', () => {
    it('forwards to the provider with its key, and decides and charges nothing', async () => {
      const before = await decisionCount();
      const counted = await anthropic.messages.countTokens({
        model: 'claude-sonnet-4-5',
        system: 'be brief',
        messages: [{ role: 'user', content: 'how many tokens is this' }],
      });
      expect(counted.input_tokens).toBeGreaterThan(0);
      const sent = fakeAnthropic.requests.at(-1);
      expect(sent?.path).toBe('/v1/messages/count_tokens');
      expect(JSON.stringify(sent?.headers)).toContain(FAKE_ANTHROPIC_KEY);
      expect(JSON.stringify(sent)).not.toContain(userKey);
      expect(await decisionCount()).toBe(before);
    });

    it('refuses an agent no policy could allow the model, in Anthropic’s shape, sending nothing', async () => {
      const before = fakeAnthropic.requests.length;
      const local = new Anthropic({ baseURL: `${base}/llm/anthropic`, apiKey: localKey, maxRetries: 0 });
      const refused = await local.messages
        .countTokens({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'x' }] })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(Anthropic.PermissionDeniedError);
      const unknown = await anthropic.messages
        .countTokens({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
        .catch((e: unknown) => e);
      expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);
      expect(fakeAnthropic.requests.length).toBe(before);
    });
  });
});
