import type { Usage as AnthropicUsage, MessageDeltaUsage } from '@anthropic-ai/sdk/resources/messages';
import fc from 'fast-check';
import type { CompletionUsage } from 'openai/resources/completions';
import type { CreateEmbeddingResponse } from 'openai/resources/embeddings';
import type { ResponseUsage } from 'openai/resources/responses/responses';
import { describe, expect, it, vi } from 'vitest';
import {
  AnthropicStreamUsage,
  costOf,
  formatMicros,
  fromAnthropicUsage,
  fromChatCompletionsUsage,
  fromEmbeddingsUsage,
  fromResponsesUsage,
  type ModelPrice,
  type ModelUsage,
  NO_USAGE,
  picosPerToken,
  priceFor,
  worstCaseCost,
} from '../../src/llm/pricing/index.js';

function usage(parts: Partial<ModelUsage>): ModelUsage {
  return { ...NO_USAGE, ...parts };
}

function mustPrice(...args: Parameters<typeof priceFor>): ModelPrice {
  const price = priceFor(...args);
  if (price === undefined) throw new Error(`no price for ${args[1]}`);
  return price;
}

describe('published prices from the bundled table', () => {
  it('gpt-4o: $2.50 in, $1.25 cached, $10 out per million, dated snapshot included', () => {
    for (const model of ['gpt-4o', 'gpt-4o-2024-08-06']) {
      const price = mustPrice('openai', model);
      expect(price.model).toBe('gpt-4o');
      expect(price.source).toBe('table');
      expect(costOf(price, usage({ inputTokens: 1_000_000, outputTokens: 1_000_000 }))).toBe(12_500_000);
      expect(costOf(price, usage({ cacheReadTokens: 1_000_000 }))).toBe(1_250_000);
    }
  });

  it('gpt-4o-mini: cached input at half the input price', () => {
    const price = mustPrice('openai', 'gpt-4o-mini');
    // 600 × 0.15 + 400 × 0.075 + 500 × 0.60 micro-dollars
    expect(costOf(price, usage({ inputTokens: 600, cacheReadTokens: 400, outputTokens: 500 }))).toBe(
      90 + 30 + 300,
    );
  });

  it('gpt-5 and o3: reasoning tokens are output tokens, billed once', () => {
    const gpt5 = mustPrice('openai', 'gpt-5-2025-08-07');
    const call = fromChatCompletionsUsage({
      prompt_tokens: 2_000,
      completion_tokens: 3_000,
      total_tokens: 5_000,
      prompt_tokens_details: { cached_tokens: 1_000 },
      completion_tokens_details: { reasoning_tokens: 2_500 },
    } satisfies CompletionUsage);
    if (call === undefined) throw new Error('unreadable');
    expect(call.reasoningTokens).toBe(2_500);
    // 1000 × 1.25 + 1000 × 0.125 + 3000 × 10
    expect(costOf(gpt5, call)).toBe(1_250 + 125 + 30_000);
    const o3 = mustPrice('openai', 'o3');
    expect(
      costOf(o3, usage({ inputTokens: 1_000_000, outputTokens: 1_000_000, reasoningTokens: 900_000 })),
    ).toBe(10_000_000);
  });

  it('claude-sonnet-4-5: cache writes (5 minutes and one hour) and reads at their own rates', () => {
    const price = mustPrice('anthropic', 'claude-sonnet-4-5-20250929');
    const call = fromAnthropicUsage({
      input_tokens: 100,
      cache_creation_input_tokens: 10_000,
      cache_read_input_tokens: 20_000,
      cache_creation: { ephemeral_1h_input_tokens: 4_000, ephemeral_5m_input_tokens: 6_000 },
      output_tokens: 500,
    });
    if (call === undefined) throw new Error('unreadable');
    // 100 × 3 + 6000 × 3.75 + 4000 × 6 + 20000 × 0.30 + 500 × 15
    expect(costOf(price, call)).toBe(300 + 22_500 + 24_000 + 6_000 + 7_500);
  });

  it('claude-sonnet-4: $3 in, $3.75 cache write, $0.30 cache read, $15 out', () => {
    const price = mustPrice('anthropic', 'claude-sonnet-4-20250514');
    expect(
      costOf(
        price,
        usage({
          inputTokens: 1_000_000,
          cacheWriteTokens: 1_000_000,
          cacheReadTokens: 1_000_000,
          outputTokens: 1_000_000,
        }),
      ),
    ).toBe(3_000_000 + 3_750_000 + 300_000 + 15_000_000);
  });

  it('a tiered model: above 200k prompt tokens (cache included) the whole call is at the higher rate', () => {
    const price = mustPrice('anthropic', 'claude-sonnet-4-5');
    expect(costOf(price, usage({ inputTokens: 200_000, outputTokens: 1_000 }))).toBe(600_000 + 15_000);
    expect(costOf(price, usage({ inputTokens: 200_001, outputTokens: 1_000 }))).toBe(1_200_006 + 22_500);
    // The cache counts toward the threshold: 1 uncached + 200,000 read is above it.
    expect(costOf(price, usage({ inputTokens: 1, cacheReadTokens: 200_000 }))).toBe(6 + 120_000);
  });

  it('looks prices up in the bundled data, without any network access', () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch').mockRejectedValue(new Error('no network'));
    try {
      expect(priceFor('openai', 'gpt-4.1')?.model).toBe('gpt-4.1');
      expect(fetchSpy).not.toHaveBeenCalled();
    } finally {
      fetchSpy.mockRestore();
    }
  });

  it('embeddings have an input price only', () => {
    const price = mustPrice('openai', 'text-embedding-3-small');
    expect(costOf(price, usage({ inputTokens: 1_000_000 }))).toBe(20_000);
  });
});

describe('unpriced models and overrides', () => {
  it('a model the table does not know is unpriced, never $0', () => {
    expect(priceFor('openai', 'no-such-model-xyz')).toBeUndefined();
    expect(priceFor('anthropic', 'gpt-4o')).toBeUndefined();
    expect(priceFor('openai', '')).toBeUndefined();
  });

  it('openai-compatible: unpriced unless configured, or found under the table provider the operator names', () => {
    expect(priceFor('openai-compatible', 'gpt-4o')).toBeUndefined();
    expect(priceFor('openai-compatible', 'llama-3.3-70b-versatile')).toBeUndefined();
    const groq = priceFor('openai-compatible', 'llama-3.3-70b-versatile', { tableProvider: 'groq' });
    expect(groq?.provider).toBe('groq');
    expect(priceFor('openai-compatible', 'my-local-model', { tableProvider: 'groq' })).toBeUndefined();
    const local = mustPrice('openai-compatible', 'my-local-model', {
      provider: 'vllm',
      models: { 'my-local-model': { inputPerMTok: 0.1, outputPerMTok: 0.2 } },
    });
    expect(local).toMatchObject({ provider: 'vllm', model: 'my-local-model', source: 'override' });
    expect(costOf(local, usage({ inputTokens: 1_000_000, outputTokens: 1_000_000 }))).toBe(300_000);
  });

  it('an override wins over the table, for the dated snapshots of its model too', () => {
    const pricing = { provider: 'openai', models: { 'GPT-4o': { inputPerMTok: 1, outputPerMTok: 2 } } };
    for (const model of ['gpt-4o', 'gpt-4o-2024-08-06', 'gpt-4o-20240806']) {
      const price = mustPrice('openai', model, pricing);
      expect(price.source).toBe('override');
      expect(costOf(price, usage({ inputTokens: 1_000_000, outputTokens: 1_000_000 }))).toBe(3_000_000);
    }
    expect(mustPrice('openai', 'gpt-4o-mini', pricing).source).toBe('table');
  });

  it('a missing cache price falls back to the input price; a missing one-hour write price to the write price', () => {
    const price = mustPrice('anthropic', 'claude-x', {
      models: { 'claude-x': { inputPerMTok: 2, outputPerMTok: 8, cacheWritePerMTok: 2.5 } },
    });
    expect(costOf(price, usage({ cacheReadTokens: 1_000_000 }))).toBe(2_000_000);
    expect(costOf(price, usage({ cacheWriteTokens: 1_000_000, cacheWrite1hTokens: 1_000_000 }))).toBe(
      2_500_000,
    );
  });

  it('an invalid override is refused with the field named', () => {
    expect(() => priceFor('openai', 'm', { models: { m: { inputPerMTok: -1, outputPerMTok: 1 } } })).toThrow(
      /inputPerMTok/,
    );
    expect(() =>
      priceFor('openai', 'm', { models: { m: { inputPerMTok: 1, outputPerMTok: Number.NaN } } }),
    ).toThrow(/outputPerMTok/);
  });
});

describe('rounding: exact pico-dollars per token, each call rounded up once to the micro-dollar', () => {
  it('reads prices as decimals, exactly to six places, and rounds finer ones up', () => {
    expect(picosPerToken(0.075)).toBe(75_000);
    expect(picosPerToken(3.75)).toBe(3_750_000);
    expect(picosPerToken(0.0375)).toBe(37_500);
    expect(picosPerToken(1e-7)).toBe(1);
    expect(picosPerToken(0)).toBe(0);
    expect(() => picosPerToken(-0.5)).toThrow(RangeError);
  });

  it('rounds a fraction of a micro-dollar up, once per call, not per category', () => {
    const mini = mustPrice('openai', 'gpt-4o-mini');
    expect(costOf(mini, usage({ inputTokens: 1 }))).toBe(1); // 0.15 µ$
    expect(costOf(mini, usage({ inputTokens: 3, cacheReadTokens: 2 }))).toBe(1); // 0.45 + 0.15 = 0.6 µ$
    expect(costOf(mini, usage({ inputTokens: 7, cacheReadTokens: 2 }))).toBe(2); // 1.05 + 0.15 = 1.2 µ$
    expect(costOf(mini, NO_USAGE)).toBe(0);
    expect(formatMicros(costOf(mini, usage({ inputTokens: 1_000_000, outputTokens: 1 })))).toBe('0.150001');
  });
});

describe('worst case for the reservation', () => {
  it('prices every prompt token at the dearest input-side rate and the tier the prompt reaches', () => {
    const sonnet = mustPrice('anthropic', 'claude-sonnet-4-5');
    // A one-hour cache write ($6) is the dearest way to send a prompt token.
    expect(worstCaseCost(sonnet, 1_000, 1_000)).toBe(6_000 + 15_000);
    expect(worstCaseCost(sonnet, 300_000, 1_000)).toBe(300_000 * 12 + 22_500);
    const gpt4o = mustPrice('openai', 'gpt-4o');
    expect(worstCaseCost(gpt4o, 1_000, 500)).toBe(2_500 + 5_000);
  });

  const rate = fc.integer({ min: 0, max: 100_000_000 });
  const tieredRate = fc.record({
    base: rate,
    tiers: fc.array(fc.record({ above: fc.integer({ min: 0, max: 400_000 }), rate }), { maxLength: 3 }),
  });
  const arbitraryPrice = fc.record({
    provider: fc.constant('p'),
    model: fc.constant('m'),
    source: fc.constant('override' as const),
    input: tieredRate,
    cacheRead: tieredRate,
    cacheWrite: tieredRate,
    cacheWrite1h: tieredRate,
    output: tieredRate,
    unappliedPriceKeys: fc.constant([] as string[]),
  });
  const table = ['gpt-4o', 'gpt-4o-mini', 'gpt-5', 'gpt-5.4', 'o3'].map((m) => mustPrice('openai', m));
  table.push(mustPrice('anthropic', 'claude-sonnet-4-5'), mustPrice('anthropic', 'claude-opus-4-1'));

  it('is never below the cost of a call within its counts (property, random prices and table prices)', () => {
    fc.assert(
      fc.property(
        fc.oneof(arbitraryPrice, fc.constantFrom(...table)),
        fc.integer({ min: 0, max: 500_000 }),
        fc.integer({ min: 0, max: 200_000 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 6, maxLength: 6 }),
        (price, inputTokens, maxOutputTokens, shares) => {
          const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0] = shares;
          const prompt = Math.floor(inputTokens * a);
          const cacheRead = Math.floor(prompt * b);
          const cacheWrite = Math.floor((prompt - cacheRead) * c);
          const output = Math.floor(maxOutputTokens * e);
          const real: ModelUsage = {
            inputTokens: prompt - cacheRead - cacheWrite,
            cacheReadTokens: cacheRead,
            cacheWriteTokens: cacheWrite,
            cacheWrite1hTokens: Math.floor(cacheWrite * d),
            outputTokens: output,
            reasoningTokens: Math.floor(output * f),
          };
          expect(costOf(price, real)).toBeLessThanOrEqual(worstCaseCost(price, inputTokens, maxOutputTokens));
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('usage converters', () => {
  it('Chat Completions: cached and cache-written tokens are parts of prompt_tokens', () => {
    const converted = fromChatCompletionsUsage({
      prompt_tokens: 1_000,
      completion_tokens: 50,
      total_tokens: 1_050,
      prompt_tokens_details: { cached_tokens: 600, cache_write_tokens: 100 },
      completion_tokens_details: { reasoning_tokens: 20 },
    } satisfies CompletionUsage);
    expect(converted).toEqual({
      inputTokens: 300,
      cacheReadTokens: 600,
      cacheWriteTokens: 100,
      cacheWrite1hTokens: 0,
      outputTokens: 50,
      reasoningTokens: 20,
    });
  });

  it('Chat Completions: without details everything is uncached input', () => {
    expect(fromChatCompletionsUsage({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 })).toEqual(
      usage({ inputTokens: 10, outputTokens: 5 }),
    );
  });

  it('Chat Completions: a missing or malformed total makes the usage unreadable, never NaN', () => {
    expect(fromChatCompletionsUsage(undefined)).toBeUndefined();
    expect(fromChatCompletionsUsage(null)).toBeUndefined();
    expect(fromChatCompletionsUsage({ completion_tokens: 5 })).toBeUndefined();
    expect(fromChatCompletionsUsage({ prompt_tokens: '10', completion_tokens: 5 })).toBeUndefined();
    expect(fromChatCompletionsUsage({ prompt_tokens: Number.NaN, completion_tokens: 5 })).toBeUndefined();
    expect(fromChatCompletionsUsage({ prompt_tokens: -1, completion_tokens: 5 })).toBeUndefined();
    expect(fromChatCompletionsUsage({ prompt_tokens: 10, completion_tokens: 2.5 })).toBeUndefined();
  });

  it('Chat Completions: a malformed detail counts as 0 (full price), one larger than its total is clamped', () => {
    expect(
      fromChatCompletionsUsage({
        prompt_tokens: 10,
        completion_tokens: 5,
        prompt_tokens_details: { cached_tokens: 'many' },
        completion_tokens_details: { reasoning_tokens: null },
      }),
    ).toEqual(usage({ inputTokens: 10, outputTokens: 5 }));
    expect(
      fromChatCompletionsUsage({
        prompt_tokens: 10,
        completion_tokens: 5,
        prompt_tokens_details: { cached_tokens: 50 },
        completion_tokens_details: { reasoning_tokens: 9 },
      }),
    ).toEqual(usage({ cacheReadTokens: 10, outputTokens: 5, reasoningTokens: 5 }));
  });

  it('Responses: input_tokens and output_tokens with their details', () => {
    expect(
      fromResponsesUsage({
        input_tokens: 500,
        input_tokens_details: { cached_tokens: 200, cache_write_tokens: 0 },
        output_tokens: 300,
        output_tokens_details: { reasoning_tokens: 250 },
        total_tokens: 800,
      } satisfies ResponseUsage),
    ).toEqual(usage({ inputTokens: 300, cacheReadTokens: 200, outputTokens: 300, reasoningTokens: 250 }));
    expect(fromResponsesUsage({ input_tokens: 5 })).toBeUndefined();
    expect(fromResponsesUsage({ input_tokens: 5, output_tokens: 1, input_tokens_details: 'x' })).toEqual(
      usage({ inputTokens: 5, outputTokens: 1 }),
    );
  });

  it('embeddings: prompt_tokens only', () => {
    const body: CreateEmbeddingResponse['usage'] = { prompt_tokens: 8, total_tokens: 8 };
    expect(fromEmbeddingsUsage(body)).toEqual(usage({ inputTokens: 8 }));
    expect(fromEmbeddingsUsage({ total_tokens: 8 })).toBeUndefined();
  });

  it('Anthropic: input_tokens excludes the cache, whose counts are added', () => {
    const body: AnthropicUsage = {
      input_tokens: 10,
      cache_creation_input_tokens: 300,
      cache_read_input_tokens: 2_000,
      cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 300 },
      output_tokens: 40,
      output_tokens_details: { thinking_tokens: 30 },
      inference_geo: null,
      server_tool_use: null,
      service_tier: 'standard',
      speed: null,
    };
    expect(fromAnthropicUsage(body)).toEqual(
      usage({
        inputTokens: 10,
        cacheWriteTokens: 300,
        cacheReadTokens: 2_000,
        outputTokens: 40,
        reasoningTokens: 30,
      }),
    );
  });

  it('Anthropic: null or missing cache counts are 0, malformed ones unreadable, a malformed 1h split all 1h', () => {
    expect(fromAnthropicUsage({ input_tokens: 10, output_tokens: 1, cache_read_input_tokens: null })).toEqual(
      usage({ inputTokens: 10, outputTokens: 1 }),
    );
    expect(
      fromAnthropicUsage({ input_tokens: 10, output_tokens: 1, cache_read_input_tokens: '5' }),
    ).toBeUndefined();
    expect(fromAnthropicUsage({ input_tokens: 10 })).toBeUndefined();
    expect(fromAnthropicUsage({ input_tokens: -3, output_tokens: 1 })).toBeUndefined();
    expect(
      fromAnthropicUsage({
        input_tokens: 1,
        output_tokens: 1,
        cache_creation_input_tokens: 50,
        cache_creation: { ephemeral_1h_input_tokens: 'x' },
      })?.cacheWrite1hTokens,
    ).toBe(50);
  });

  it('Anthropic streaming: message_start usage, then the last cumulative message_delta usage', () => {
    const stream = new AnthropicStreamUsage();
    expect(stream.usage()).toBeUndefined();
    stream.onEvent({
      type: 'message_start',
      message: {
        usage: {
          input_tokens: 25,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 1_000,
          output_tokens: 1,
        },
      },
    });
    stream.onEvent({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'Hi' } });
    const first: MessageDeltaUsage = {
      output_tokens: 10,
      input_tokens: null,
      cache_creation_input_tokens: null,
      cache_read_input_tokens: null,
      output_tokens_details: null,
      server_tool_use: null,
    };
    stream.onEvent({ type: 'message_delta', usage: first });
    stream.onEvent({ type: 'message_delta', usage: { ...first, output_tokens: 42, input_tokens: 25 } });
    stream.onEvent({ type: 'message_stop' });
    expect(stream.usage()).toEqual(usage({ inputTokens: 25, cacheReadTokens: 1_000, outputTokens: 42 }));
  });
});
