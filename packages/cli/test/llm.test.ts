import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { newId } from '../../server/src/ids.js';
import type { LlmShadowRunsTable } from '../../server/src/storage/schema.js';
import { seedAgent } from '../../server/test/helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../../server/test/helpers/test-node.js';
import { run } from '../src/index.js';

/** Nothing listens here: a command that got past its checks fails with exit 1, not 2. */
const NO_SERVER = 'http://127.0.0.1:9';

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => (out += t), err: (t) => (err += t), color: false, cwd: '/' });
  return { code, out, err };
}

describe('warden llm', () => {
  let t: TestNode;
  let url: string;

  beforeAll(async () => {
    t = await startTestNode('sqlite');
    url = await t.node.listen();
    const { agent } = await seedAgent(t.node);
    const now = Date.now();
    const run = (over: Partial<LlmShadowRunsTable>): LlmShadowRunsTable => ({
      tenant_id: t.node.bootstrap.tenant.id,
      id: newId('shd', now),
      decision_id: newId('dec', now),
      agent_id: agent.id,
      created_at: now - 60_000,
      primary_provider: 'openai',
      primary_model: 'gpt-4o',
      shadow_provider: 'openai',
      shadow_model: 'gpt-4.1-mini',
      status: 'compared',
      reason: null,
      streamed: 0,
      primary_input_tokens: 100,
      primary_output_tokens: 40,
      primary_cost_micros: 650,
      primary_latency_ms: 900,
      primary_ttft_ms: null,
      primary_tools: '[]',
      shadow_input_tokens: 100,
      shadow_output_tokens: 50,
      shadow_cost_micros: 104,
      shadow_latency_ms: 600,
      shadow_ttft_ms: null,
      shadow_tools: '[]',
      tools_differ: 0,
      similarity: 0.9,
      ...over,
    });
    await t.node.storage.db
      .insertInto('llm_shadow_runs')
      .values([
        run({}),
        run({ shadow_tools: '["lookup_order"]', tools_differ: 1, similarity: 0.3 }),
        run({
          status: 'skipped',
          reason: 'budget_exhausted: budget model-eval has $0.00 left',
          shadow_cost_micros: null,
        }),
        // Out of a one-hour window.
        run({ created_at: now - 3 * 3_600_000 }),
      ])
      .execute();
  }, 60_000);
  afterAll(() => t?.close());
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  const connected = (...argv: string[]) => cli(['llm', ...argv, '--url', url, '--token', t.adminToken]);

  it('prints each model against its shadow for the window', async () => {
    const { code, out, err } = await connected('shadow', 'report', '--since', '1h');
    expect(code, err).toBe(0);
    expect(out).toContain('openai/gpt-4o  vs shadow  openai/gpt-4.1-mini');
    expect(out).toContain('calls: 3 shadowed, 2 compared, 0 shadow failed');
    expect(out).toContain('skipped: 1 budget_exhausted');
    expect(out).toMatch(/output tokens\s+80\s+100\s+\+25\.0 %/);
    expect(out).toMatch(/cost \(usd\)\s+\$0\.001300\s+\$0\.000208\s+-84\.0 %/);
    expect(out).toContain('1 of 2 compared calls chose other tools (50.0 %)');
    expect(out).toContain('agent model (no tool), shadow lookup_order');
    expect(out).toContain('answers alike: mean 0.60, p10 0.30, p50 0.30; 1 less than half alike');

    const wide = await connected('shadow', 'report', '--since', '1d', '--json');
    expect(JSON.parse(wide.out).pairs[0]).toMatchObject({ runs: 4, compared: 3 });
    const none = await connected('shadow', 'report', '--model', 'claude-haiku-4-5');
    expect(none.out).toContain('No shadow calls in this window.');
  });

  it('adds, lists, changes and removes a provider, its key read from the environment only', async () => {
    vi.stubEnv('EVAL_KEY', 'sk-eval-do-not-print-0123');
    const withKey = (argv: string[]) => connected('providers', ...argv);
    expect((await connected('providers', 'list')).out).toBe('no LLM providers\n');
    const added = await withKey([
      'add',
      'eval',
      '--kind',
      'openai-compatible',
      '--base-url',
      'http://127.0.0.1:9/v1',
      '--key-env',
      'EVAL_KEY',
      '--model',
      'llama-local',
      '--model',
      'llama-big',
      '--alias',
      'fast=llama-local',
      '--shadow',
      'llama-local=eval/llama-big,0.05,model-eval',
    ]);
    expect(added.code, added.err).toBe(0);
    expect(added.out).toContain('added LLM provider eval');
    expect(added.out).toContain('llama-local -> eval/llama-big (5 %, budget model-eval)');
    expect(added.out).not.toContain('sk-eval');
    const listed = await connected('providers', 'list');
    expect(listed.out).toMatch(
      /eval\s+openai-compatible\s+api\s+http:\/\/127\.0\.0\.1:9\/v1\s+llama-local, llama-big/,
    );
    expect(listed.out).not.toContain('sk-eval');

    const updated = await withKey(['update', 'eval', '--unset-shadow', 'llama-local', '--timeout', '30']);
    expect(updated.code, updated.err).toBe(0);
    const shown = JSON.parse((await connected('providers', 'list', '--json')).out).providers[0];
    expect(shown).toMatchObject({
      name: 'eval',
      timeoutSeconds: 30,
      shadows: {},
      aliases: { fast: 'llama-local' },
    });
    expect(shown.apiKey).toBe('(stored secret)');

    const removed = await withKey(['remove', 'eval']);
    expect(removed.out).toContain('removed LLM provider eval');
    expect((await connected('providers', 'list')).out).toBe('no LLM providers\n');
  });

  it('checks its arguments before anything is sent', async () => {
    for (const [argv, message] of [
      [['shadow', 'report', '--since', '5x'], '--since must be a duration'],
      [['shadow', 'report', '--since', '1d', '--from', '2026-01-01T00:00:00Z'], 'not both'],
      [['shadow', 'report', '--to', 'yesterday'], '--to must be a date'],
      [['shadow', 'compare'], 'unknown command "llm shadow compare"'],
      [['providers', 'add', 'x', '--base-url', 'http://x.example/v1'], '--kind is required'],
      [['providers', 'add', 'x', '--kind', 'openai', '--key-env', 'NOT_SET_ANYWHERE_42'], 'is not set'],
      [['providers', 'add', 'x', '--kind', 'openai', '--shadow', 'a=b,2,c'], 'the share must be from 0 to 1'],
      [['providers', 'add', 'X.y', '--kind', 'openai'], 'provider name'],
      [['providers', 'update', 'x'], 'nothing to change'],
      [['providers', 'update', 'x', '--kind', 'anthropic'], 'the kind cannot change'],
    ] as const) {
      const { code, err } = await cli(['llm', ...argv, '--url', NO_SERVER, '--token', 't']);
      expect(code, err).toBe(2);
      expect(err).toContain(message);
    }
  });
});
