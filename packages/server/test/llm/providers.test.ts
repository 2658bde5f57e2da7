import { describe, expect, it } from 'vitest';
import { WardenError } from '../../src/errors.js';
import { routeModel } from '../../src/llm/model-route.js';
import { checkProviderEntry, type ProviderEntry } from '../../src/llm/provider-entry.js';
import { checkProvidersFile } from '../../src/llm/providers-file.js';
import { SseEventSplitter } from '../../src/llm/sse-events.js';

const openai = { name: 'openai', kind: 'openai', apiKey: { fromEnv: 'OPENAI_API_KEY' } };

function refusal(input: unknown): string {
  try {
    checkProviderEntry(input, 'providers[0]');
  } catch (error) {
    expect(error).toBeInstanceOf(WardenError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('LLM provider entries', () => {
  it('fills in defaults: the kind’s base URL, 4096 output tokens reserved, a 600 s timeout', () => {
    expect(checkProviderEntry(openai, 'providers[0]')).toEqual({
      name: 'openai',
      kind: 'openai',
      baseUrl: 'https://api.openai.com/v1',
      apiKey: { fromEnv: 'OPENAI_API_KEY' },
      aliases: {},
      prices: {},
      defaultMaxTokens: 4096,
      timeoutMs: 600_000,
      shadows: {},
    });
    expect(
      checkProviderEntry({ name: 'claude', kind: 'anthropic', apiKey: { fromFile: '/run/key' } }, 'p')
        .baseUrl,
    ).toBe('https://api.anthropic.com');
  });

  it.each([
    [{ ...openai, name: 'open.ai' }, 'providers[0].name: must be 1-40 lower-case letters'],
    [{ ...openai, kind: 'gemini' }, 'providers[0].kind: must be openai, anthropic or openai-compatible'],
    [
      { ...openai, kind: 'openai-compatible' },
      'providers[0].baseUrl: is required for an openai-compatible provider',
    ],
    [{ ...openai, baseUrl: 'ftp://x' }, 'providers[0].baseUrl: must be an http or https URL'],
    [{ ...openai, baseUrl: 'https://u:p@x' }, 'providers[0].baseUrl: must not carry credentials'],
    [{ ...openai, apiKey: 'sk-live' }, 'providers[0].apiKey: must be a mapping'],
    [
      { ...openai, apiKey: { fromEnv: 'A', fromFile: '/b' } },
      'providers[0].apiKey: must be a mapping with exactly one',
    ],
    [{ ...openai, models: ['ok', 'bad model'] }, 'providers[0].models[1]: must be a model id'],
    [
      { ...openai, models: ['gpt-4o'], aliases: { fast: 'gpt-4o-mini' } },
      'providers[0].aliases.fast: names gpt-4o-mini, which is not in models',
    ],
    [
      { ...openai, prices: { m: { inputPerMTok: 1 } } },
      'providers[0].prices.m.outputPerMTok: must be USD per million tokens',
    ],
    [
      { ...openai, prices: { m: { inputPerMTok: -1, outputPerMTok: 1 } } },
      'providers[0].prices.m.inputPerMTok',
    ],
    [
      { ...openai, prices: { m: { inputPerMTok: 1, outputPerMTok: 1, cached: 1 } } },
      'providers[0].prices.m.cached: unknown key',
    ],
    [{ ...openai, priceTable: 'groq' }, 'providers[0].priceTable: only for an openai-compatible provider'],
    [{ ...openai, defaultMaxTokens: 0 }, 'providers[0].defaultMaxTokens: must be a whole number'],
    [
      { ...openai, timeoutSeconds: 4000 },
      'providers[0].timeoutSeconds: must be a whole number from 1 to 3600',
    ],
    [{ ...openai, region: 'eu' }, 'providers[0].region: unknown key'],
  ])('refuses %j naming the field', (input, message) => {
    expect(refusal(input)).toContain(message);
  });

  it('refuses a providers file with a name twice or an unknown top-level key', () => {
    expect(() => checkProvidersFile({ providers: [openai, openai] })).toThrow(
      'providers[1].name: openai appears twice',
    );
    expect(() => checkProvidersFile({ provider: [] })).toThrow('provider: unknown key (expected providers)');
  });
});

describe('routing a model to a provider', () => {
  const entry = (input: Record<string, unknown>) =>
    checkProviderEntry({ apiKey: { fromEnv: 'K' }, baseUrl: 'http://127.0.0.1:9/v1', ...input }, 'p');
  const providers: ProviderEntry[] = [
    entry({ name: 'openai', kind: 'openai', aliases: { fast: 'gpt-4o-mini' } }),
    entry({ name: 'groq', kind: 'openai-compatible', models: ['llama-3.3-70b', 'shared-model'] }),
    entry({ name: 'vllm', kind: 'openai-compatible', models: ['shared-model'] }),
    entry({ name: 'claude', kind: 'anthropic', models: ['claude-sonnet-4-5'] }),
  ];

  it.each([
    ['openai', 'gpt-4o', 'llm.openai.gpt-4o'],
    ['openai', 'fast', 'llm.openai.gpt-4o-mini'],
    ['openai', 'llama-3.3-70b', 'llm.groq.llama-3.3-70b'],
    ['openai', 'vllm/shared-model', 'llm.vllm.shared-model'],
    ['openai', 'openai/fast', 'llm.openai.gpt-4o-mini'],
    ['anthropic', 'claude-sonnet-4-5', 'llm.claude.claude-sonnet-4-5'],
  ] as const)('%s %s is %s', (api, model, tool) => {
    const route = routeModel(providers, api, model);
    expect('tool' in route ? route.tool : route).toBe(tool);
  });

  it('never guesses: a model two providers list must be named with its provider, an unlisted one is unknown', () => {
    expect(routeModel(providers, 'openai', 'shared-model')).toMatchObject({ reason: 'ambiguous_model' });
    expect(routeModel(providers, 'anthropic', 'gpt-4o')).toMatchObject({ reason: 'unknown_model' });
    expect(routeModel(providers, 'openai', 'groq/gpt-4o')).toMatchObject({ reason: 'unknown_model' });
    const two = [providers[0] as ProviderEntry, entry({ name: 'azure', kind: 'openai-compatible' })];
    expect(routeModel(two, 'openai', 'gpt-4o')).toMatchObject({ reason: 'ambiguous_model' });
  });
});

describe('server-sent events as a provider sends them', () => {
  it('splits events across chunk boundaries, multi-byte characters and every line ending', () => {
    const splitter = new SseEventSplitter();
    const bytes = Buffer.from('event: a\ndata: {"t":"é"}\n\n: keep-alive\r\n\r\ndata: x\rdata: y\r\r');
    const events = [];
    for (let i = 0; i < bytes.length; i += 3) events.push(...splitter.push(bytes.subarray(i, i + 3)));
    events.push(...splitter.end());
    expect(events.map(({ event, data }) => ({ event, data }))).toEqual([
      { event: 'a', data: '{"t":"é"}' },
      { event: undefined, data: undefined },
      { event: undefined, data: 'x\ny' },
    ]);
  });
});
