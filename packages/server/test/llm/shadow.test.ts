import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../approvals/approvals-fixtures.js';
import { createBudget } from '../budgets/budget-fixtures.js';
import { auditEventsOf, createOtherTenant, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import type { TestNode } from '../helpers/test-node.js';
import { FAKE_ANTHROPIC_KEY, type FakeAnthropic } from './fakes/anthropic-fake.js';
import { FAKE_OPENAI_KEY, type FakeOpenAi } from './fakes/openai-fake.js';
import { type LlmBed, startLlmBed } from './llm-fixtures.js';

/**
 * Shadow mode: a share of the calls to a model also go to a shadow model, whose answer is recorded
 * and compared but never returned, charged to the rule's own budget.
 */
describe('LLM shadow mode (sqlite)', () => {
  let bed: LlmBed;
  let t: TestNode;
  let fakeOpenAi: FakeOpenAi;
  let fakeAnthropic: FakeAnthropic;
  let openai: OpenAI;
  let anthropic: Anthropic;
  let shadowBudget: string;
  let agentBudget: string;

  const runs = () => t.node.storage.db.selectFrom('llm_shadow_runs').selectAll().orderBy('id').execute();
  const lastRun = async () => {
    await t.node.llm.idle();
    return (await runs()).at(-1);
  };
  const counter = async (budgetId: string) => {
    const rows = await t.node.storage.db
      .selectFrom('budget_counters')
      .select(['reserved', 'spent'])
      .where('budget_id', '=', budgetId)
      .execute();
    return {
      reserved: rows.reduce((sum, r) => sum + Number(r.reserved), 0),
      spent: rows.reduce((sum, r) => sum + Number(r.spent), 0),
    };
  };
  const requestsFor = (fake: FakeOpenAi | FakeAnthropic, model: string) =>
    fake.requests.filter((r) => (r.body as { model?: unknown } | undefined)?.model === model);
  const patchEval = async (shadows: object) => {
    const res = await request(t.node, 'PATCH', '/v1/llm/providers/eval', t.adminToken, { shadows });
    expect(res.statusCode, res.body).toBe(200);
  };
  const ask = (content: string) =>
    openai.chat.completions
      .create({ model: 'eval/gpt-4o', messages: [{ role: 'user', content }], max_tokens: 50 })
      .withResponse();

  beforeAll(async () => {
    bed = await startLlmBed();
    ({ t, fakeOpenAi, fakeAnthropic } = bed);
    shadowBudget = await createBudget(t.node, t.adminToken, {
      name: 'shadow-eval',
      scope: 'role',
      role: 'model-eval',
      period: 'day',
      unit: 'usd',
      limit: 10,
      onLimit: 'deny',
    });
    await createBudget(t.node, t.adminToken, {
      name: 'tiny',
      scope: 'role',
      role: 'model-eval',
      period: 'day',
      unit: 'usd',
      limit: 0.000001,
      onLimit: 'deny',
    });
    const { agent, key } = await seedAgent(t.node, { roles: ['llm-user'] });
    agentBudget = await createBudget(t.node, t.adminToken, {
      scope: 'agent',
      agentId: agent.id,
      period: 'day',
      unit: 'usd',
      limit: 100,
      onLimit: 'alert',
    });
    for (const provider of [
      {
        name: 'eval',
        kind: 'openai',
        baseUrl: fakeOpenAi.url,
        apiKey: { secret: FAKE_OPENAI_KEY },
        models: ['gpt-4o', 'gpt-4o-mini'],
        shadows: { 'gpt-4o': { model: 'eval/gpt-4o-mini', share: 1, budget: 'shadow-eval' } },
      },
      {
        name: 'evalant',
        kind: 'anthropic',
        baseUrl: fakeAnthropic.url,
        apiKey: { secret: FAKE_ANTHROPIC_KEY },
        models: ['claude-sonnet-4-5', 'claude-haiku-4-5'],
        shadows: {
          'claude-sonnet-4-5': { model: 'evalant/claude-haiku-4-5', share: 1, budget: 'shadow-eval' },
        },
      },
    ]) {
      const res = await request(t.node, 'POST', '/v1/llm/providers', t.adminToken, provider);
      expect(res.statusCode, res.body).toBe(201);
    }
    openai = new OpenAI({ baseURL: `${bed.base}/llm/openai/v1`, apiKey: key, maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: `${bed.base}/llm/anthropic`, apiKey: key, maxRetries: 0 });
  }, 60_000);

  afterAll(() => bed?.close());

  it('answers with the agent’s model only, sends the same request to the shadow, and records and audits both', async () => {
    fakeOpenAi.scriptFor('gpt-4o', { text: 'The refund of order 1042 is approved.' });
    fakeOpenAi.scriptFor('gpt-4o-mini', { text: 'The refund of order 1042 is denied.' });
    const { data, response } = await ask('May I refund order 1042?');
    expect(data.choices[0]?.message.content).toBe('The refund of order 1042 is approved.');
    const decisionId = response.headers.get('x-warden-decision-id') as string;
    const primaryCost = Number(response.headers.get('x-warden-cost-usd'));

    const run = await lastRun();
    expect(run).toMatchObject({
      decision_id: decisionId,
      primary_provider: 'eval',
      primary_model: 'gpt-4o',
      shadow_provider: 'eval',
      shadow_model: 'gpt-4o-mini',
      status: 'compared',
      streamed: 0,
      tools_differ: 0,
      primary_tools: '[]',
      shadow_tools: '[]',
    });
    expect(Number(run?.similarity)).toBeGreaterThan(0.5);
    expect(Number(run?.similarity)).toBeLessThan(1);
    expect(Number(run?.primary_cost_micros)).toBe(Math.round(primaryCost * 1e6));

    // The same messages, to the shadow model, with the provider's key: only the model differs.
    const [primarySent] = requestsFor(fakeOpenAi, 'gpt-4o').slice(-1);
    const [shadowSent] = requestsFor(fakeOpenAi, 'gpt-4o-mini').slice(-1);
    expect({ ...(shadowSent?.body as object), model: 'gpt-4o' }).toEqual(primarySent?.body);

    // Both answers in the audit: the agent's in its outcome, the shadow's in llm.shadow.
    const events = await auditEventsOf(t.node, decisionId);
    const shadowEvent = events.find((e) => e.type === 'llm.shadow');
    expect(shadowEvent).toMatchObject({ tool: 'llm.eval.gpt-4o-mini', outcome: 'succeeded' });
    expect(JSON.stringify(shadowEvent?.payload)).toContain('The refund of order 1042 is denied.');
    expect(JSON.stringify(events.find((e) => e.type === 'decision.outcome')?.payload)).toContain(
      'is approved.',
    );

    // The shadow's cost went to its budget, exactly; the agent's budget paid for its own call only.
    expect(await counter(shadowBudget)).toEqual({
      reserved: 0,
      spent: Number(run?.shadow_cost_micros),
    });
    expect(Number(run?.shadow_cost_micros)).toBeGreaterThan(0);
    expect(await counter(agentBudget)).toEqual({ reserved: 0, spent: Math.round(primaryCost * 1e6) });
  });

  it('shadows a stream as a stream and notices the shadow chose a tool the agent’s model did not; the agent never sees it', async () => {
    fakeAnthropic.scriptFor('claude-sonnet-4-5', { text: 'Order 77 shipped yesterday.' });
    fakeAnthropic.scriptFor('claude-haiku-4-5', {
      toolCalls: [{ name: 'lookup_order', arguments: { order: 77 } }],
    });
    const stream = await anthropic.messages.create({
      model: 'evalant/claude-sonnet-4-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Where is order 77?' }],
      stream: true,
    });
    const seen: string[] = [];
    let text = '';
    for await (const event of stream) {
      seen.push(JSON.stringify(event));
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    expect(text).toBe('Order 77 shipped yesterday.');
    expect(seen.join('')).not.toContain('lookup_order');

    const run = await lastRun();
    expect(run).toMatchObject({
      primary_model: 'claude-sonnet-4-5',
      shadow_model: 'claude-haiku-4-5',
      status: 'compared',
      streamed: 1,
      tools_differ: 1,
      primary_tools: '[]',
      shadow_tools: '["lookup_order"]',
    });
    expect(run?.primary_ttft_ms).not.toBeNull();
    expect(run?.shadow_ttft_ms).not.toBeNull();
    expect(requestsFor(fakeAnthropic, 'claude-haiku-4-5').at(-1)?.body).toMatchObject({ stream: true });
  });

  it('makes no shadow call when its budget has no room, or when the rule names a budget that does not exist', async () => {
    const before = requestsFor(fakeOpenAi, 'gpt-4o-mini').length;
    await patchEval({ 'gpt-4o': { model: 'eval/gpt-4o-mini', share: 1, budget: 'tiny' } });
    const { data } = await ask('hello again');
    expect(data.choices[0]?.message.content).toBe('echo: hello again');
    expect(await lastRun()).toMatchObject({ status: 'skipped', shadow_cost_micros: null });
    expect((await lastRun())?.reason).toMatch(/^budget_exhausted: budget tiny has \$0\.00 left/);

    await patchEval({ 'gpt-4o': { model: 'eval/gpt-4o-mini', share: 1, budget: 'no-such-budget' } });
    await ask('and again');
    expect((await lastRun())?.reason).toMatch(/^budget_missing: no budget named no-such-budget/);
    expect(requestsFor(fakeOpenAi, 'gpt-4o-mini')).toHaveLength(before);
    await patchEval({ 'gpt-4o': { model: 'eval/gpt-4o-mini', share: 1, budget: 'shadow-eval' } });
  });

  it('never shadows a call that has the provider run hosted tools', async () => {
    const before = requestsFor(fakeOpenAi, 'gpt-4o-mini').length;
    await openai.responses.create({
      model: 'eval/gpt-4o',
      input: 'What is new today?',
      tools: [{ type: 'web_search' }],
      max_output_tokens: 50,
    });
    const run = await lastRun();
    expect(run?.status).toBe('skipped');
    expect(run?.reason).toMatch(/^hosted_tools: /);
    expect(requestsFor(fakeOpenAi, 'gpt-4o-mini')).toHaveLength(before);
  });

  it('records a failing shadow without touching the agent’s answer, its reservation released', async () => {
    const spentBefore = (await counter(shadowBudget)).spent;
    fakeOpenAi.scriptFor('gpt-4o-mini', { fail: { kind: 'status', status: 500 } });
    const { data } = await ask('still there?');
    expect(data.choices[0]?.message.content).toBe('echo: still there?');
    const run = await lastRun();
    expect(run).toMatchObject({ status: 'shadow_failed', shadow_cost_micros: 0 });
    expect(run?.reason).toContain('answered 500');
    expect(await counter(shadowBudget)).toEqual({ reserved: 0, spent: spentBefore });
  });

  it('shadows about its share of the calls', async () => {
    await patchEval({ 'gpt-4o': { model: 'eval/gpt-4o-mini', share: 0.5, budget: 'shadow-eval' } });
    const before = (await runs()).length;
    for (let i = 0; i < 40; i++) await ask(`call ${i}`);
    await t.node.llm.idle();
    const shadowed = (await runs()).length - before;
    // Binomial(40, 0.5): outside 5..35 once in about a million runs.
    expect(shadowed).toBeGreaterThanOrEqual(5);
    expect(shadowed).toBeLessThanOrEqual(35);
    await patchEval({ 'gpt-4o': { model: 'eval/gpt-4o-mini', share: 1, budget: 'shadow-eval' } });
  });

  it('reports each model against its shadow from the recorded runs, for this tenant only', async () => {
    await t.node.llm.idle();
    const res = await request(t.node, 'GET', '/v1/llm/shadow/report', t.adminToken);
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json() as {
      pairs: {
        primary: string;
        shadow: string;
        runs: number;
        compared: number;
        shadowFailed: number;
        skipped: Record<string, number>;
        costUsd: { primary: number; shadow: number; shadowSpent: number };
        toolCalls: { differ: number; examples: { primary: string[]; shadow: string[] }[] };
        similarity: { mean: number | null };
        latencyMs: { primary: { p50: number | null } };
      }[];
    };
    const all = await runs();
    const ofPair = all.filter((r) => r.primary_model === 'gpt-4o');
    const compared = ofPair.filter((r) => r.status === 'compared');
    const openaiPair = report.pairs.find((p) => p.primary === 'eval/gpt-4o');
    expect(openaiPair).toMatchObject({
      shadow: 'eval/gpt-4o-mini',
      runs: ofPair.length,
      compared: compared.length,
      shadowFailed: 1,
      skipped: { budget_exhausted: 1, budget_missing: 1, hosted_tools: 1 },
      toolCalls: { differ: 0 },
    });
    const micros = (pick: (r: (typeof all)[number]) => number | null) =>
      compared.reduce((sum, r) => sum + Number(pick(r)), 0);
    expect(openaiPair?.costUsd.primary).toBeCloseTo(micros((r) => r.primary_cost_micros) / 1e6, 9);
    expect(openaiPair?.costUsd.shadow).toBeCloseTo(micros((r) => r.shadow_cost_micros) / 1e6, 9);
    const spent = (rows: typeof all) => rows.reduce((sum, r) => sum + Number(r.shadow_cost_micros ?? 0), 0);
    expect(openaiPair?.costUsd.shadowSpent).toBeCloseTo(spent(ofPair) / 1e6, 9);
    // Every shadow call of both pairs went to the one budget, to the micro-dollar.
    expect((await counter(shadowBudget)).spent).toBe(spent(all));
    expect(openaiPair?.latencyMs.primary.p50).toBeGreaterThanOrEqual(0);
    const anthropicPair = report.pairs.find((p) => p.primary === 'evalant/claude-sonnet-4-5');
    expect(anthropicPair?.toolCalls).toMatchObject({
      differ: 1,
      examples: [{ primary: [], shadow: ['lookup_order'] }],
    });
    // Text against a tool call: only the order number in common.
    expect(anthropicPair?.similarity.mean).toBeLessThan(0.6);

    const filtered = await request(
      t.node,
      'GET',
      '/v1/llm/shadow/report?model=claude-haiku-4-5',
      t.adminToken,
    );
    expect((filtered.json() as { pairs: unknown[] }).pairs).toHaveLength(1);
    const other = await createOtherTenant(t.node, 'shadow-other');
    const foreign = await request(t.node, 'GET', '/v1/llm/shadow/report', other.adminToken);
    expect(foreign.json()).toMatchObject({ pairs: [] });
    const backwards = await request(
      t.node,
      'GET',
      '/v1/llm/shadow/report?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
      t.adminToken,
    );
    expect(backwards.statusCode).toBe(400);
    expect(backwards.body).toContain('query.from');
  });

  it('refuses a shadow rule that names no budget, shadows a model with itself, or gives no share', async () => {
    const cases: [object, string][] = [
      [{ 'gpt-4o': { model: 'gpt-4o-mini', share: 0.1 } }, 'body.shadows.gpt-4o.budget'],
      [{ 'gpt-4o': { model: 'gpt-4o', share: 0.1, budget: 'shadow-eval' } }, 'body.shadows.gpt-4o.model'],
      [
        { 'gpt-4o': { model: 'gpt-4o-mini', share: 1.5, budget: 'shadow-eval' } },
        'body.shadows.gpt-4o.share',
      ],
      [{ 'gpt-4o': { model: 'gpt-4o-mini', budget: 'shadow-eval', ratio: 1 } }, 'body.shadows.gpt-4o.ratio'],
    ];
    for (const [shadows, field] of cases) {
      const res = await request(t.node, 'PATCH', '/v1/llm/providers/eval', t.adminToken, { shadows });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.body).toContain(field);
    }
    const shown = await request(t.node, 'GET', '/v1/llm/providers', t.adminToken);
    expect(JSON.stringify(shown.json())).toContain(
      '"shadows":{"gpt-4o":{"model":"eval/gpt-4o-mini","share":1',
    );
  });

  it('stops a shadow call in flight at shutdown and records it as failed', async () => {
    fakeOpenAi.scriptFor('gpt-4o-mini', { fail: { kind: 'hang' } });
    const before = requestsFor(fakeOpenAi, 'gpt-4o-mini').length;
    const { data } = await ask('one more');
    expect(data.choices[0]?.message.content).toBe('echo: one more');
    await until(() => requestsFor(fakeOpenAi, 'gpt-4o-mini').length > before);
    const started = Date.now();
    await t.node.llm.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    const run = (await runs()).at(-1);
    expect(run).toMatchObject({ status: 'shadow_failed', reason: 'the node shut down' });
  });
});
