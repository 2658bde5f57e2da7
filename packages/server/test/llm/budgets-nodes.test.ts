import { readFile, rm, writeFile } from 'node:fs/promises';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hourStart } from '../../src/anomaly/ewma.js';
import { countChatInput } from '../../src/llm/costing.js';
import { costOf, fromChatCompletionsUsage, priceFor, worstCaseCost } from '../../src/llm/pricing/index.js';
import { monitorOn } from '../anomaly/anomaly-fixtures.js';
import { RecordingNotifier } from '../approvals/approvals-fixtures.js';
import { createBudget } from '../budgets/budget-fixtures.js';
import { auditEventsOf } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { FAKE_OPENAI_KEY, type FakeOpenAi, startFakeOpenAi } from './fakes/openai-fake.js';
import { OPENAI_KEY_ENV, writeLlmFiles } from './llm-fixtures.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const CALLS = 200;
const GPT_4O = priceFor('openai', 'gpt-4o');

/**
 * A clock that only moves forward, by hand: it starts four hours back so that the runaway test can
 * give an agent four hours of ordinary model calls (its baseline) before the runaway.
 */
class ForwardClock {
  current = hourStart(Date.now()) - 4 * HOUR + 5 * MINUTE;
  readonly now = (): number => this.current;
  advanceTo(ms: number): void {
    if (ms < this.current) throw new Error('the clock only moves forward');
    this.current = ms;
  }
}

type ChatBody = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;

/** What Warden reserves for a chat completion: the prompt as it counts it plus max_tokens, at gpt-4o's price. */
function worstCaseMicros(body: ChatBody): number {
  if (!GPT_4O) throw new Error('no price for gpt-4o');
  return worstCaseCost(GPT_4O, countChatInput(body), body.max_tokens as number);
}

function micros(usage: unknown): number {
  const normal = fromChatCompletionsUsage(usage);
  if (!GPT_4O || !normal) throw new Error('no price or usage');
  return costOf(GPT_4O, normal);
}

/**
 * Two nodes on one PostgreSQL database, one fake OpenAI provider, the official client: model calls
 * are admitted against a hard per-agent USD budget exactly as far as their worst case fits, whichever
 * node takes them, and settle to the micro-dollar; a runaway loop of model calls alone trips the
 * agent's circuit breaker on both nodes.
 */
describe('LLM proxy budgets across two nodes (postgres)', () => {
  const clock = new ForwardClock();
  let a: TestNode;
  let b: TestNode;
  let fake: FakeOpenAi;
  let dir: string;
  const urls: string[] = [];
  /** While set, the fake holds every answer until it resolves. */
  let gate: Promise<void> | undefined;

  beforeAll(async () => {
    fake = await startFakeOpenAi({ hold: () => gate ?? Promise.resolve() });
    process.env[OPENAI_KEY_ENV] = FAKE_OPENAI_KEY;
    const files = await writeLlmFiles(fake.url, fake.url);
    dir = files.dir;
    // The fake holds every answer until all 200 calls are decided, which on a busy machine can take
    // longer than the fixtures' 5 s provider timeout.
    const providers = await readFile(files.providersFile, 'utf8');
    await writeFile(files.providersFile, providers.replaceAll('timeoutSeconds: 5', 'timeoutSeconds: 120'));
    // A runaway of a few cents trips the breaker (the default minimum is $1 in the window).
    const settings = { llmProvidersFile: files.providersFile, breakerMinUsd: 0.05 };
    a = await startTestNode('postgres', { policyDir: files.policyDir, settings, clock: clock.now });
    b = await startTestNode('postgres', {
      policyDir: files.policyDir,
      settings,
      clock: clock.now,
      shared: a.database,
    });
    urls.push(await a.node.listen(), await b.node.listen());
  }, 60_000);

  afterAll(async () => {
    gate = undefined;
    await b?.close();
    await a?.close();
    await fake?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The agent's official clients, one per node. */
  const clientsOf = (key: string) =>
    urls.map((url) => new OpenAI({ baseURL: `${url}/llm/openai/v1`, apiKey: key, maxRetries: 0 }));

  async function counter(budgetId: string) {
    const row = await a.node.storage.db
      .selectFrom('budget_counters')
      .select(['reserved', 'spent'])
      .where('budget_id', '=', budgetId)
      .executeTakeFirstOrThrow();
    return { reserved: Number(row.reserved), spent: Number(row.spent) };
  }

  interface Raced {
    readonly body: ChatBody;
    /** The node the call went to (0: a, 1: b). */
    readonly node: number;
    readonly worst: number;
    /** The cost of the provider's usage, for an admitted call; undefined when refused. */
    readonly cost: number | undefined;
    readonly decisionId: string | null;
  }

  /**
   * `CALLS` chat completions at once, alternating between the nodes. The fake holds every answer
   * until each call is either at the provider or refused, so no settlement frees room during the
   * race: what was admitted is decided by the worst cases alone. Answers the calls and the budget's
   * counter as it stood with every admitted call reserved.
   */
  async function race(budgetId: string, key: string, maxTokens: (i: number) => number) {
    const clients = clientsOf(key);
    const before = fake.requests.length;
    let refused = 0;
    let release!: () => void;
    gate = new Promise((resolve) => {
      release = resolve;
    });
    const allDecided = vi.waitFor(() => expect(fake.requests.length - before + refused).toBe(CALLS), {
      timeout: 30_000,
      interval: 10,
    });
    const calls = Array.from({ length: CALLS }, async (_, i): Promise<Raced> => {
      const body: ChatBody = {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Summarise the quarterly report' }],
        max_tokens: maxTokens(i),
      };
      const client = clients[i % 2] as OpenAI;
      try {
        const { data, response } = await client.chat.completions.create(body).withResponse();
        return {
          body,
          node: i % 2,
          worst: worstCaseMicros(body),
          cost: micros(data.usage),
          decisionId: response.headers.get('x-warden-decision-id'),
        };
      } catch (error) {
        refused++;
        expect(error).toBeInstanceOf(OpenAI.RateLimitError);
        expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('budget_exceeded');
        return { body, node: i % 2, worst: worstCaseMicros(body), cost: undefined, decisionId: null };
      }
    });
    await allDecided;
    const held = await counter(budgetId);
    gate = undefined;
    release();
    const results = await Promise.all(calls);
    await Promise.all([a.node.llm.idle(), b.node.llm.idle()]);
    // Refused calls never reached the provider.
    expect(fake.requests.length - before).toBe(results.filter((r) => r.cost !== undefined).length);
    return { results, held, settled: await counter(budgetId) };
  }

  /** Every admitted call's outcome on its decision: succeeded, at the cost of the provider's usage. */
  async function expectSettled(results: readonly Raced[]) {
    const admitted = results.filter((r) => r.cost !== undefined);
    const rows = await a.node.storage.db
      .selectFrom('decisions')
      .select(['id', 'outcome_status', 'outcome'])
      .where(
        'id',
        'in',
        admitted.map((r) => r.decisionId as string),
      )
      .execute();
    expect(rows).toHaveLength(admitted.length);
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const call of admitted) {
      const row = byId.get(call.decisionId as string);
      expect(row?.outcome_status).toBe('succeeded');
      const costUsd = (JSON.parse(row?.outcome as string) as { costUsd: number }).costUsd;
      expect(Math.round(costUsd * 1e6)).toBe(call.cost);
    }
  }

  it('admits exactly the calls whose worst case fits (uniform), and settles to the micro-dollar', async () => {
    const { agent, key } = await seedAgent(a.node, { roles: ['llm-user'] });
    const limitUsd = 1;
    const budgetId = await createBudget(a.node, a.adminToken, {
      scope: 'agent',
      agentId: agent.id,
      period: 'day',
      unit: 'usd',
      limit: limitUsd,
      onLimit: 'deny',
    });
    const { results, held, settled } = await race(budgetId, key, () => 1000);
    const worst = results[0]?.worst as number;
    expect(results.every((r) => r.worst === worst)).toBe(true);
    const admitted = results.filter((r) => r.cost !== undefined);
    // $1 holds floor(1,000,000 / worst) worst cases, and not one more, across both nodes.
    expect(admitted.length).toBe(Math.floor((limitUsd * 1e6) / worst));
    expect(held).toEqual({ reserved: admitted.length * worst, spent: 0 });
    // Both nodes admitted calls.
    expect(new Set(admitted.map((r) => r.node)).size).toBe(2);

    const spent = admitted.reduce((sum, r) => sum + (r.cost as number), 0);
    expect(settled).toEqual({ reserved: 0, spent });
    expect(settled.spent).toBeLessThanOrEqual(limitUsd * 1e6);
    await expectSettled(results);
  }, 60_000);

  it('never passes the limit with mixed worst cases, and refuses only what no longer fitted', async () => {
    const { agent, key } = await seedAgent(a.node, { roles: ['llm-user'] });
    const limit = 1_000_000;
    const budgetId = await createBudget(a.node, a.adminToken, {
      scope: 'agent',
      agentId: agent.id,
      period: 'day',
      unit: 'usd',
      limit: limit / 1e6,
    });
    // 100 to 1,300 output tokens: about $1.40 of worst cases asked against $1.
    const { results, held, settled } = await race(budgetId, key, (i) => 100 * (1 + ((i * 7) % 13)));
    const admitted = results.filter((r) => r.cost !== undefined);
    const refused = results.filter((r) => r.cost === undefined);
    const reserved = admitted.reduce((sum, r) => sum + r.worst, 0);
    expect(held).toEqual({ reserved, spent: 0 });
    expect(reserved).toBeLessThanOrEqual(limit);
    expect(refused.length).toBeGreaterThan(0);
    // Counters only grew during the race, so a refused call did not fit the final room either.
    for (const call of refused) expect(call.worst).toBeGreaterThan(limit - reserved);

    const spent = admitted.reduce((sum, r) => sum + (r.cost as number), 0);
    expect(settled).toEqual({ reserved: 0, spent });
    expect(settled.spent).toBeLessThanOrEqual(limit);
    await expectSettled(results);
  }, 60_000);

  it('trips the circuit breaker on a runaway loop of model calls alone, and both nodes refuse', async () => {
    const { agent, key } = await seedAgent(a.node, { roles: ['llm-user'], name: 'runaway' });
    const clients = clientsOf(key);
    const ask = (i: number) =>
      (clients[i % 2] as OpenAI).chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: `step ${i}` }],
        max_tokens: 1000,
      });
    // Four ordinary hours: five short model calls each (a fraction of a cent per hour).
    const start = hourStart(clock.now());
    for (let h = 0; h < 4; h++) {
      clock.advanceTo(start + h * HOUR + 10 * MINUTE);
      for (let i = 0; i < 5; i++) await ask(i);
    }
    await Promise.all([a.node.llm.idle(), b.node.llm.idle()]);
    clock.advanceTo(start + 4 * HOUR + 5 * MINUTE);
    const monitor = monitorOn(a.node, clock.now, new RecordingNotifier());
    await monitor.run();
    await monitor.stop();
    const baseline = await a.node.storage.db
      .selectFrom('agent_baselines')
      .selectAll()
      .where('agent_id', '=', agent.id)
      .executeTakeFirstOrThrow();
    expect(Number(baseline.samples)).toBe(4);

    // The runaway: the same call again and again, each answer 1,000 tokens long (about a cent).
    let refusal: unknown;
    let admitted = 0;
    let spentMicros = 0;
    let admittedAfterMinimum = 0;
    for (let i = 0; i < 100 && !refusal; i++) {
      fake.script({ usage: { completion_tokens: 1000 } });
      try {
        const answer = await ask(i);
        admitted++;
        if (spentMicros >= 50_000) admittedAfterMinimum++;
        spentMicros += micros(answer.usage);
      } catch (error) {
        refusal = error;
      }
    }
    expect(refusal).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((refusal as InstanceType<typeof OpenAI.APIError>).code).toBe('circuit_open');
    // It tripped on the call that took the window's spend to the minimum, give or take the calls
    // already under way while that call's outcome was being recorded.
    expect(admittedAfterMinimum).toBeLessThanOrEqual(3);
    expect(admitted).toBeGreaterThanOrEqual(5);

    const trips = (await auditEventsOf(a.node, agent.id)).filter((e) => e.type === 'agent.breaker_trip');
    expect(trips).toHaveLength(1);
    expect(trips[0]?.actor).toEqual({ type: 'system', id: 'circuit-breaker' });
    expect(trips[0]?.payload?.windowSpendUsd as number).toBeGreaterThanOrEqual(0.05);
    expect(trips[0]?.payload?.windowSpendUsd as number).toBeLessThanOrEqual(spentMicros / 1e6 + 1e-6);
    // Only model calls: every decision of the agent is a model call of the proxy.
    const tools = await a.node.storage.db
      .selectFrom('decisions')
      .select('tool')
      .distinct()
      .where('agent_id', '=', agent.id)
      .execute();
    expect(tools.map((t) => t.tool)).toEqual(['llm.openai.gpt-4o']);

    // Whichever node it asks, the agent is refused now (the trip reaches the other node by a
    // signal), without the provider hearing of it.
    const before = fake.requests.length;
    for (let i = 0; i < 2; i++) {
      await vi.waitFor(async () => {
        const denied = await ask(i).catch((error: unknown) => error);
        expect((denied as InstanceType<typeof OpenAI.APIError>).code).toBe('circuit_open');
      });
    }
    expect(fake.requests.length).toBe(before);
  }, 60_000);
});
