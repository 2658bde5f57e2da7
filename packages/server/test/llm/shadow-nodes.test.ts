import { rm } from 'node:fs/promises';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countChatInput } from '../../src/llm/costing.js';
import { priceFor, worstCaseCost } from '../../src/llm/pricing/index.js';
import { createBudget } from '../budgets/budget-fixtures.js';
import { request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { FAKE_OPENAI_KEY, type FakeOpenAi, startFakeOpenAi } from './fakes/openai-fake.js';
import { OPENAI_KEY_ENV, writeLlmFiles } from './llm-fixtures.js';

const CALLS = 60;

/**
 * Shadow calls of two nodes sharing PostgreSQL, all charged to one hard role budget: however the
 * calls interleave, the shadows never spend past the budget, every reservation is settled, and the
 * budget's counter is the sum of the shadow calls' costs to the micro-dollar.
 */
describe('LLM shadow calls across two nodes (postgres)', () => {
  let a: TestNode;
  let b: TestNode;
  let fake: FakeOpenAi;
  let dir: string;
  const urls: string[] = [];

  beforeAll(async () => {
    fake = await startFakeOpenAi({ firstByteDelayMs: 5 });
    process.env[OPENAI_KEY_ENV] = FAKE_OPENAI_KEY;
    const files = await writeLlmFiles(fake.url, fake.url);
    dir = files.dir;
    const settings = { llmProvidersFile: files.providersFile };
    a = await startTestNode('postgres', { policyDir: files.policyDir, settings });
    b = await startTestNode('postgres', { policyDir: files.policyDir, settings, shared: a.database });
    urls.push(await a.node.listen(), await b.node.listen());
  }, 60_000);

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await fake?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('never lets the shadows spend past their budget, and settles every one exactly', async () => {
    const body: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming = {
      model: 'eval/gpt-4o',
      messages: [{ role: 'user', content: 'Summarise the incident report' }],
      max_tokens: 200,
    };
    const mini = priceFor('openai', 'gpt-4o-mini');
    if (!mini) throw new Error('no price for gpt-4o-mini');
    const worst = worstCaseCost(mini, countChatInput({ ...body, model: 'gpt-4o-mini' }), 200);
    // Room for ten shadows' worst cases and a half.
    const limitMicros = Math.floor(worst * 10.5);
    const budgetId = await createBudget(a.node, a.adminToken, {
      name: 'model-eval',
      scope: 'role',
      role: 'model-eval',
      period: 'day',
      unit: 'usd',
      limit: limitMicros / 1e6,
      onLimit: 'deny',
    });
    const added = await request(a.node, 'POST', '/v1/llm/providers', a.adminToken, {
      name: 'eval',
      kind: 'openai',
      baseUrl: fake.url,
      apiKey: { secret: FAKE_OPENAI_KEY },
      models: ['gpt-4o', 'gpt-4o-mini'],
      shadows: { 'gpt-4o': { model: 'eval/gpt-4o-mini', share: 1, budget: 'model-eval' } },
    });
    expect(added.statusCode, added.body).toBe(201);
    const { key } = await seedAgent(a.node, { roles: ['llm-user'] });
    const clients = urls.map(
      (url) => new OpenAI({ baseURL: `${url}/llm/openai/v1`, apiKey: key, maxRetries: 0 }),
    );
    // Both nodes apply the new provider (by signal) before the race.
    await expect
      .poll(() => b.node.llm.deps.providers.of(b.node.bootstrap.tenant.id).some((p) => p.name === 'eval'), {
        timeout: 10_000,
      })
      .toBe(true);

    const answers = await Promise.all(
      Array.from({ length: CALLS }, (_, i) => (clients[i % 2] as OpenAI).chat.completions.create(body)),
    );
    expect(answers.every((answer) => answer.choices[0]?.message.content?.startsWith('echo: '))).toBe(true);
    await Promise.all([a.node.llm.idle(), b.node.llm.idle()]);

    const runs = await a.node.storage.db.selectFrom('llm_shadow_runs').selectAll().execute();
    expect(runs).toHaveLength(CALLS);
    const made = runs.filter((r) => r.status !== 'skipped');
    const skipped = runs.filter((r) => r.status === 'skipped');
    expect(skipped.every((r) => r.reason?.startsWith('budget_exhausted'))).toBe(true);
    expect(made.length).toBeGreaterThanOrEqual(10);
    expect(skipped.length).toBeGreaterThan(0);
    // Shadow calls reached the provider only when admitted.
    expect(fake.requests.filter((r) => (r.body as { model?: string }).model === 'gpt-4o-mini')).toHaveLength(
      made.length,
    );
    const counters = await a.node.storage.db
      .selectFrom('budget_counters')
      .select(['reserved', 'spent'])
      .where('budget_id', '=', budgetId)
      .execute();
    const spent = counters.reduce((sum, c) => sum + Number(c.spent), 0);
    expect(counters.reduce((sum, c) => sum + Number(c.reserved), 0)).toBe(0);
    expect(spent).toBe(made.reduce((sum, r) => sum + Number(r.shadow_cost_micros), 0));
    expect(spent).toBeLessThanOrEqual(limitMicros);
    const held = await a.node.storage.db
      .selectFrom('budget_reservations')
      .select('status')
      .where(
        'decision_id',
        'in',
        made.map((r) => r.id),
      )
      .execute();
    expect(held.map((r) => r.status)).toEqual(made.map(() => 'settled'));
  });
});
