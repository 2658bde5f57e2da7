import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  costOf,
  fromAnthropicUsage,
  fromChatCompletionsUsage,
  priceFor,
} from '../../src/llm/pricing/index.js';
import { createGroup, createHuman, voteOk } from '../approvals/approvals-fixtures.js';
import { auditEventsOf } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import type { TestNode } from '../helpers/test-node.js';
import { FAKE_ANTHROPIC_KEY, type FakeAnthropic } from './fakes/anthropic-fake.js';
import { FAKE_OPENAI_KEY, type FakeOpenAi } from './fakes/openai-fake.js';
import { decisionOf, type LlmBed, startLlmBed } from './llm-fixtures.js';

/** USD of a usage at the price table's price, as Warden must have charged it. */
function expectedUsd(kind: 'openai' | 'anthropic', model: string, usage: unknown): number {
  const price = priceFor(kind, model);
  const normal = kind === 'openai' ? fromChatCompletionsUsage(usage) : fromAnthropicUsage(usage);
  if (!price || !normal) throw new Error(`no price or usage for ${model}`);
  return costOf(price, normal) / 1_000_000;
}

/**
 * The LLM proxy driven by the official clients, unchanged but for the base URL and the agent's
 * Warden key, against local fakes of both providers: every call decided, priced from the provider's
 * usage, settled and audited with its prompt and answer.
 */
describe('LLM proxy (sqlite)', () => {
  let t: TestNode;
  let fakeOpenAi: FakeOpenAi;
  let fakeAnthropic: FakeAnthropic;
  let base: string;
  let key: string;
  let cheapKey: string;
  let openai: OpenAI;
  let anthropic: Anthropic;
  let bed: LlmBed;

  beforeAll(async () => {
    bed = await startLlmBed();
    ({ t, fakeOpenAi, fakeAnthropic, base } = bed);
    key = (await seedAgent(t.node, { roles: ['llm-user'] })).key;
    cheapKey = (await seedAgent(t.node, { roles: ['llm-cheap'] })).key;
    openai = new OpenAI({ baseURL: `${base}/llm/openai/v1`, apiKey: key, maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: `${base}/llm/anthropic`, apiKey: key, maxRetries: 0 });
  }, 60_000);

  afterAll(() => bed?.close());

  const outcomeOf = (decisionId: string) => decisionOf(t.node, decisionId);

  it('answers a chat completion as the provider did, priced from its usage and audited with prompt and answer', async () => {
    const { data, response } = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello warden' }], max_tokens: 100 })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('echo: hello warden');
    const decisionId = response.headers.get('x-warden-decision-id') as string;
    expect(decisionId).toMatch(/^dec_/);
    const cost = Number(response.headers.get('x-warden-cost-usd'));
    expect(cost).toBeCloseTo(expectedUsd('openai', 'gpt-4o', data.usage), 9);
    expect(Number(response.headers.get('x-warden-overhead-ms'))).toBeGreaterThan(0);

    const sent = fakeOpenAi.requests.at(-1);
    expect(sent?.headers.authorization).toBe(`Bearer ${FAKE_OPENAI_KEY}`);
    expect(JSON.stringify(sent)).not.toContain(key);

    const decision = await outcomeOf(decisionId);
    expect(decision).toMatchObject({
      tool: 'llm.openai.gpt-4o',
      effect: 'allow',
      outcome_status: 'succeeded',
    });
    expect(decision.outcome).toMatchObject({ costUsd: cost, status: 'succeeded' });
    const events = await auditEventsOf(t.node, decisionId);
    const outcome = events.find((e) => e.type === 'decision.outcome');
    expect(JSON.stringify(outcome?.payload)).toContain('echo: hello warden');
    expect(JSON.stringify(outcome?.payload)).toContain('hello warden');
  });

  it('resolves aliases to the provider’s model, and decides the call as that model', async () => {
    const { data, response } = await openai.chat.completions
      .create({ model: 'fast', messages: [{ role: 'user', content: 'alias' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('echo: alias');
    expect(fakeOpenAi.requests.at(-1)?.body).toMatchObject({ model: 'gpt-4o-mini' });
    const decision = await outcomeOf(response.headers.get('x-warden-decision-id') as string);
    expect(decision.tool).toBe('llm.openai.gpt-4o-mini');
  });

  it('streams a chat completion, asks the provider for usage, and passes the usage chunk only to clients that asked', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'stream please' }],
      stream: true,
    });
    let text = '';
    let sawUsage = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) sawUsage = true;
    }
    expect(text).toBe('echo: stream please');
    expect(sawUsage).toBe(false);
    const asked = fakeOpenAi.requests.at(-1)?.body as { stream_options?: { include_usage?: boolean } };
    expect(asked.stream_options?.include_usage).toBe(true);

    const withUsage = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'count it' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: unknown;
    for await (const chunk of withUsage) if (chunk.usage) usage = chunk.usage;
    expect(usage).toBeDefined();
  });

  it('ends a stream with a Warden comment carrying the cost, which is the cost on the decision', async () => {
    const response = await fetch(`${base}/llm/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'raw' }], stream: true }),
    });
    const raw = await response.text();
    const match = /: warden cost_usd=([0-9.]+) decision_id=(dec_\w+)/.exec(raw);
    expect(match).not.toBeNull();
    const decision = await outcomeOf(match?.[2] as string);
    expect(decision.outcome?.costUsd).toBeCloseTo(Number(match?.[1]), 6);
    expect(Number(match?.[1])).toBeGreaterThan(0);
  });

  it('answers Anthropic messages, streaming and not, through the official client with the Warden key', async () => {
    const message = await anthropic.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 200,
      messages: [{ role: 'user', content: 'hi claude' }],
    });
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'echo: hi claude' });
    const sent = fakeAnthropic.requests.at(-1);
    expect(JSON.stringify(sent?.headers)).toContain(FAKE_ANTHROPIC_KEY);
    expect(JSON.stringify(sent)).not.toContain(key);

    const stream = anthropic.messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 200,
      messages: [{ role: 'user', content: 'stream claude' }],
    });
    const final = await stream.finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'text', text: 'echo: stream claude' });
    const rows = await t.node.storage.db
      .selectFrom('decisions')
      .select(['id', 'outcome'])
      .where('tool', '=', 'llm.anthropic.claude-sonnet-4-5')
      .orderBy('created_at')
      .execute();
    await t.node.llm.idle();
    const last = await outcomeOf(rows.at(-1)?.id as string);
    expect(last.outcome?.costUsd).toBeCloseTo(expectedUsd('anthropic', 'claude-sonnet-4-5', final.usage), 9);
  });

  it('refuses what the policy denies in each API’s own error shape, sending nothing to the provider', async () => {
    const before = fakeOpenAi.requests.length;
    const cheap = new OpenAI({ baseURL: `${base}/llm/openai/v1`, apiKey: cheapKey, maxRetries: 0 });
    const denied = await cheap.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(denied).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((denied as Error).message).toContain('This agent uses gpt-4o-mini');
    const capped = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], max_tokens: 5000 })
      .catch((error: unknown) => error);
    expect(capped).toBeInstanceOf(OpenAI.PermissionDeniedError);
    const claude = await anthropic.messages
      .create({ model: 'claude-sonnet-4-5', max_tokens: 5000, messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(claude).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(fakeOpenAi.requests.length).toBe(before);
  });

  it('denies a model without a price as unpriced_model (recorded), and an unknown model as not found', async () => {
    const unpriced = await openai.chat.completions
      .create({ model: 'mystery-model', messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(unpriced).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((unpriced as InstanceType<typeof OpenAI.APIError>).code).toBe('unpriced_model');
    const row = await t.node.storage.db
      .selectFrom('decisions')
      .select(['effect', 'code'])
      .where('tool', '=', 'llm.local.mystery-model')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ effect: 'deny', code: 'unpriced_model' });

    const priced = await openai.chat.completions.create({
      model: 'llama-local',
      messages: [{ role: 'user', content: 'operator priced' }],
    });
    expect(priced.choices[0]?.message.content).toBe('echo: operator priced');

    const unknown = await anthropic.messages
      .create({ model: 'gpt-4o', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);
  });

  it('passes a provider’s 429 on and releases the reservation: a failed outcome that cost nothing', async () => {
    fakeOpenAi.script({ fail: { kind: 'status', status: 429, retryAfterSeconds: 3 } });
    const limited = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
      .withResponse()
      .catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    const decisionId = (limited as InstanceType<typeof OpenAI.APIError>).headers?.get('x-warden-decision-id');
    const decision = await outcomeOf(decisionId as string);
    expect(decision).toMatchObject({ effect: 'allow', outcome_status: 'failed' });
    expect(decision.outcome?.costUsd).toBe(0);
  });

  it('answers garbage from a provider as a 502 and a hang as a 504, each a failed outcome', async () => {
    fakeOpenAi.script({ fail: { kind: 'garbage' } });
    const garbage = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect((garbage as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    fakeOpenAi.script({ fail: { kind: 'hang' } });
    const hung = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }, { timeout: 20_000 })
      .catch((error: unknown) => error);
    expect((hung as InstanceType<typeof OpenAI.APIError>).status).toBe(504);
  }, 20_000);

  it('charges a stream the provider cut for what was delivered, never $0', async () => {
    fakeOpenAi.script({
      text: 'one two three four five six seven eight',
      fail: { kind: 'disconnect', afterChunks: 3 },
    });
    const response = await fetch(`${base}/llm/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'cut' }], stream: true }),
    });
    const raw = await response.text();
    const decisionId = response.headers.get('x-warden-decision-id') as string;
    expect(raw).toContain(': warden error');
    const decision = await outcomeOf(decisionId);
    expect(decision.outcome_status).toBe('failed');
    expect(decision.outcome?.costUsd as number).toBeGreaterThan(0);
  });

  it('charges a stream the agent walked away from for what it received', async () => {
    fakeOpenAi.script({ text: 'a long answer '.repeat(50), chunkDelayMs: 20 });
    const controller = new AbortController();
    const stream = await openai.chat.completions.create(
      { model: 'gpt-4o', messages: [{ role: 'user', content: 'walk away' }], stream: true },
      { signal: controller.signal },
    );
    let chunks = 0;
    for await (const _ of stream) {
      if (++chunks === 5) {
        controller.abort();
        break;
      }
    }
    await vi.waitFor(async () => {
      const row = await t.node.storage.db
        .selectFrom('decisions')
        .select(['outcome_status', 'outcome'])
        .where('tool', '=', 'llm.openai.gpt-4o')
        .orderBy('created_at', 'desc')
        .executeTakeFirstOrThrow();
      expect(row.outcome_status).toBe('failed');
      expect((JSON.parse(row.outcome as string) as { costUsd: number }).costUsd).toBeGreaterThan(0);
    });
  });

  it('refuses a call that needs a human first, then sends the same request once it is approved, once', async () => {
    const lead = await createHuman(t.node, t.adminToken, ['approver']);
    await createGroup(t.node, t.adminToken, 'llm-leads', [lead]);
    const ask = () =>
      openai.chat.completions
        .create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'worth a review' }], max_tokens: 50 })
        .catch((error: unknown) => error);
    const first = await ask();
    expect(first).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((first as InstanceType<typeof OpenAI.APIError>).code).toBe('approval_required');
    const approvalId = /Approval request (\S+) is waiting/.exec((first as Error).message)?.[1];
    expect(approvalId).toMatch(/^apr_/);
    // Sent again while it waits: refused, and the approvers are not asked twice.
    const waiting = await ask();
    expect((waiting as InstanceType<typeof OpenAI.APIError>).code).toBe('approval_pending');
    await voteOk(t.node, lead.token, approvalId as string, 'approve');
    const approved = await ask();
    expect((approved as OpenAI.Chat.ChatCompletion).choices[0]?.message.content).toBe('echo: worth a review');
    const again = await ask();
    expect((again as InstanceType<typeof OpenAI.APIError>).code).toBe('approval_required');
    const changed = await openai.chat.completions
      .create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'something else' }], max_tokens: 50 })
      .catch((error: unknown) => error);
    expect((changed as InstanceType<typeof OpenAI.APIError>).code).toBe('approval_required');
  });

  it('places model calls in the task trace between the task’s tool calls', async () => {
    const taskId = 'TASK-LLM-1';
    const headers = { 'warden-task-id': taskId };
    const decide = (tool: string) =>
      t.node.app.inject({
        method: 'POST',
        url: '/v1/decide',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ tool, context: { taskId } }),
      });
    await decide('kb.articles.read');
    await openai.chat.completions.create(
      { model: 'gpt-4o', messages: [{ role: 'user', content: 'in a task' }] },
      { headers },
    );
    await decide('kb.articles.read');
    await t.node.llm.idle();
    const trace = await t.node.app.inject({
      method: 'GET',
      url: `/v1/tasks/${taskId}/trace`,
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(trace.statusCode, trace.body).toBe(200);
    const tools = JSON.stringify(trace.json());
    const first = tools.indexOf('kb.articles.read');
    const model = tools.indexOf('llm.openai.gpt-4o');
    expect(first).toBeGreaterThanOrEqual(0);
    expect(model).toBeGreaterThan(first);
    expect(tools.lastIndexOf('kb.articles.read')).toBeGreaterThan(model);
  });

  it('answers a bad body, no key and a human token in each API’s shape', async () => {
    const bad = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [] })
      .catch((error: unknown) => error);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.APIError>).param).toBe('messages');
    const noKey = await fetch(`${base}/llm/anthropic/v1/messages`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    const human = new OpenAI({ baseURL: `${base}/llm/openai/v1`, apiKey: t.adminToken, maxRetries: 0 });
    const refused = await human.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect([401, 403]).toContain((refused as InstanceType<typeof OpenAI.APIError>).status);
  });
});
