import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FAKE_ANTHROPIC_KEY,
  FAKE_OPENAI_KEY,
  type FakeAnthropic,
  type FakeOpenAi,
  startFakeAnthropic,
  startFakeOpenAi,
  tokensOf,
} from './fakes/index.js';

const WEATHER_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

/** What the client's stream or call throws, for `toBeInstanceOf` checks. */
async function thrown(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('fake OpenAI with the official openai client', () => {
  let fake: FakeOpenAi;
  let client: OpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    client = new OpenAI({ baseURL: fake.url, apiKey: FAKE_OPENAI_KEY, maxRetries: 0 });
  });
  afterAll(() => fake?.close());

  it('answers a chat completion with the echo and computed usage, and records the request', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello there' },
      ],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-4o-mini');
    expect(completion.choices[0]?.message.content).toBe('echo: Hello there');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    const prompt = tokensOf('Be brief.') + tokensOf('Hello there');
    const output = tokensOf('echo: Hello there');
    expect(completion.usage).toMatchObject({
      prompt_tokens: prompt,
      completion_tokens: output,
      total_tokens: prompt + output,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    expect(completion._request_id).toMatch(/^req_/);
    const recorded = fake.requests.at(-1);
    expect(recorded).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(recorded?.headers.authorization).toBe(`Bearer ${FAKE_OPENAI_KEY}`);
    expect(recorded?.body).toMatchObject({ model: 'gpt-4o-mini' });
  });

  it('reports scripted cached and reasoning tokens', async () => {
    const usage = { prompt_tokens: 1200, cached_tokens: 1024, cache_write_tokens: 100, reasoning_tokens: 64 };
    fake.script({ text: 'cached', usage }, { usage });
    const completion = await client.chat.completions.create({
      model: 'o4-mini',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(completion.usage).toMatchObject({
      prompt_tokens: 1200,
      prompt_tokens_details: { cached_tokens: 1024, cache_write_tokens: 100 },
      completion_tokens_details: { reasoning_tokens: 64 },
    });
    const result = await client.responses.create({ model: 'o4-mini', input: 'x' });
    expect(result.usage).toMatchObject({
      input_tokens: 1200,
      input_tokens_details: { cached_tokens: 1024, cache_write_tokens: 100 },
      output_tokens_details: { reasoning_tokens: 64 },
    });
  });

  it('streams chat chunks with the usage chunk last when include_usage is set', async () => {
    fake.script({ text: 'one two three four', usage: { completion_tokens: 9 } });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('one two three four');
    expect(chunks.length).toBeGreaterThan(4);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBe(9);
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('streams chat chunks without usage when include_usage is not set', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((chunk) => chunk.usage === undefined && chunk.choices.length === 1)).toBe(true);
  });

  it("the SDK's chat stream helper yields the text and the final usage", async () => {
    const stream = client.chat.completions.stream({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'stream me' }],
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    stream.on('content', (delta) => deltas.push(delta));
    const final = await stream.finalChatCompletion();
    expect(deltas.join('')).toBe('echo: stream me');
    expect(final.choices[0]?.message.content).toBe('echo: stream me');
    expect(final.usage?.completion_tokens).toBe(tokensOf('echo: stream me'));
  });

  it('answers and streams tool calls', async () => {
    const call = { name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } };
    fake.script({ toolCalls: [call] }, { toolCalls: [call] });
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [WEATHER_TOOL],
    });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    const toolCall = choice?.message.tool_calls?.[0];
    expect(toolCall?.type === 'function' && toolCall.function.name).toBe('get_weather');
    expect(toolCall?.type === 'function' && JSON.parse(toolCall.function.arguments)).toEqual(call.arguments);

    const stream = client.chat.completions.stream({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [WEATHER_TOOL],
    });
    const final = await stream.finalChatCompletion();
    const streamed = final.choices[0]?.message.tool_calls?.[0];
    expect(streamed?.id).toMatch(/^call_/);
    expect(streamed?.type === 'function' && JSON.parse(streamed.function.arguments)).toEqual(call.arguments);
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('answers a response with output and usage', async () => {
    const result = await client.responses.create({
      model: 'gpt-4.1',
      instructions: 'Be brief.',
      input: 'What is up?',
    });
    expect(result.object).toBe('response');
    expect(result.status).toBe('completed');
    expect(result.output_text).toBe('echo: What is up?');
    expect(result.usage).toMatchObject({
      input_tokens: tokensOf('Be brief.') + tokensOf('What is up?'),
      output_tokens: tokensOf('echo: What is up?'),
      input_tokens_details: { cached_tokens: 0 },
      output_tokens_details: { reasoning_tokens: 0 },
    });
  });

  it("streams a response's typed events, and the SDK's helper yields the text and the usage", async () => {
    fake.script({ text: 'alpha beta gamma', usage: { cached_tokens: 3, reasoning_tokens: 2 } });
    const raw = await client.responses.create({
      model: 'gpt-4.1',
      input: [{ role: 'user', content: 'go' }],
      stream: true,
    });
    const types: string[] = [];
    for await (const event of raw) types.push(event.type);
    expect(types[0]).toBe('response.created');
    expect(types).toContain('response.output_text.delta');
    expect(types.at(-1)).toBe('response.completed');

    const stream = client.responses.stream({ model: 'gpt-4.1', input: 'helper' });
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();
    expect(deltas.join('')).toBe('echo: helper');
    expect(final.output_text).toBe('echo: helper');
    expect(final.usage?.output_tokens).toBe(tokensOf('echo: helper'));
  });

  it('answers and streams function calls in responses', async () => {
    const call = { name: 'get_weather', arguments: { city: 'Oslo' } };
    fake.script({ toolCalls: [call] }, { toolCalls: [call] });
    const result = await client.responses.create({ model: 'gpt-4.1', input: 'weather?' });
    expect(result.output[0]).toMatchObject({ type: 'function_call', name: 'get_weather' });
    const final = await client.responses.stream({ model: 'gpt-4.1', input: 'weather?' }).finalResponse();
    const item = final.output[0];
    expect(item?.type === 'function_call' && JSON.parse(item.arguments)).toEqual(call.arguments);
  });

  it('answers embeddings (base64 by default in the SDK, floats when asked) and models', async () => {
    const decoded = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a b', 'c'] });
    expect(decoded.data).toHaveLength(2);
    expect(decoded.data[0]?.embedding).toHaveLength(8);
    expect(decoded.usage.prompt_tokens).toBe(tokensOf('a b') + tokensOf('c'));
    const floats = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'a b',
      encoding_format: 'float',
      dimensions: 4,
    });
    expect(floats.data[0]?.embedding).toHaveLength(4);
    expect(floats.data[0]?.embedding[0]).toBeCloseTo(decoded.data[0]?.embedding[0] ?? Number.NaN, 5);

    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toContain('gpt-4o');
  });

  it("a wrong key is the SDK's AuthenticationError", async () => {
    const wrong = new OpenAI({ baseURL: fake.url, apiKey: 'sk-wrong-key-1234', maxRetries: 0 });
    const error = await thrown(() => wrong.models.list());
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
  });

  it('a scripted 429 is a RateLimitError with retry-after, a 500 an InternalServerError', async () => {
    fake.script({ fail: { kind: 'status', status: 429, retryAfterSeconds: 7 } });
    const limited = await thrown(() =>
      client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    const rateLimit = limited as InstanceType<typeof OpenAI.RateLimitError>;
    expect(rateLimit.headers.get('retry-after')).toBe('7');
    expect(rateLimit.code).toBe('rate_limit_exceeded');
    expect(rateLimit.requestID).toMatch(/^req_/);

    fake.script({ fail: { kind: 'status', status: 500 } });
    const failed = await thrown(() =>
      client.responses.create({ model: 'gpt-4.1', input: 'x', stream: true }),
    );
    expect(failed).toBeInstanceOf(OpenAI.InternalServerError);
    expect((failed as InstanceType<typeof OpenAI.InternalServerError>).type).toBe('server_error');
  });

  it('a garbage body: with status 200 the JSON parse fails, with 502 an InternalServerError', async () => {
    fake.script({ fail: { kind: 'garbage' } });
    const parse = await thrown(() =>
      client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(parse).toBeInstanceOf(SyntaxError);

    fake.script({ fail: { kind: 'garbage', status: 502, contentType: 'text/html' } });
    const gateway = await thrown(() =>
      client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(gateway).toBeInstanceOf(OpenAI.InternalServerError);
    expect((gateway as Error).message).toContain('502 Bad Gateway');
  });

  it('a hang is an APIConnectionTimeoutError at the client timeout', async () => {
    fake.script({ fail: { kind: 'hang' } });
    const impatient = new OpenAI({ baseURL: fake.url, apiKey: FAKE_OPENAI_KEY, maxRetries: 0, timeout: 300 });
    const error = await thrown(() =>
      impatient.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it('a dropped connection is an APIConnectionError; a stream cut after N chunks fails the reader', async () => {
    fake.script({ fail: { kind: 'disconnect', afterChunks: 0 } });
    const dropped = await thrown(() =>
      client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(dropped).toBeInstanceOf(OpenAI.APIConnectionError);

    fake.script({ text: 'a b c d e f g h', fail: { kind: 'disconnect', afterChunks: 3 } });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    const received: string[] = [];
    const cut = await thrown(async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    });
    expect(received).toEqual(['', 'a ', 'b ']);
    // The SDK does not wrap a body read that fails: fetch's own TypeError ('terminated') comes out.
    expect(cut).toBeInstanceOf(TypeError);
    expect((cut as Error).message).toBe('terminated');
  });

  it("a cut stream fails the SDK's helpers, and a stream cut before any event too", async () => {
    fake.script({ fail: { kind: 'disconnect', afterChunks: 2 } });
    const chat = client.chat.completions.stream({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'x' }],
    });
    // The helpers wrap fetch's TypeError ('terminated') in the SDK's base OpenAIError.
    expect(await thrown(() => chat.finalChatCompletion())).toBeInstanceOf(OpenAI.OpenAIError);

    fake.script({ fail: { kind: 'disconnect', afterChunks: 0 } });
    const response = client.responses.stream({ model: 'gpt-4.1', input: 'x' });
    expect(await thrown(() => response.finalResponse())).toBeInstanceOf(OpenAI.OpenAIError);
    expect(fake.requests.at(-1)?.path).toBe('/v1/responses');
  });

  it("an error inside a stream is the SDK's APIError; without streaming a 500", async () => {
    fake.script({ text: 'a b c', fail: { kind: 'stream-error', afterChunks: 2, message: 'boom' } });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    const received: string[] = [];
    const error = await thrown(async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    });
    expect(received).toEqual(['', 'a ']);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain('boom');

    fake.script({ fail: { kind: 'stream-error', afterChunks: 3 } });
    const events = await client.responses.create({ model: 'gpt-4.1', input: 'x', stream: true });
    const types: string[] = [];
    for await (const event of events) types.push(event.type);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'error',
    ]);

    fake.script({ fail: { kind: 'stream-error', afterChunks: 2 } });
    const plain = await thrown(() =>
      client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(plain).toBeInstanceOf(OpenAI.InternalServerError);
  });

  it('delays the first byte and each chunk as configured', async () => {
    fake.script({ firstByteDelayMs: 150, chunkDelayMs: 40, text: 'a b c' });
    const started = Date.now();
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    const arrivals: number[] = [];
    for await (const _chunk of stream) arrivals.push(Date.now() - started);
    expect(arrivals[0]).toBeGreaterThanOrEqual(140);
    // 5 chunks (role, 3 pieces, finish) and [DONE]: at least 5 gaps of 40 ms after the first.
    expect((arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThanOrEqual(4 * 35);
  });
});

describe('fake Anthropic with the official @anthropic-ai/sdk client', () => {
  let fake: FakeAnthropic;
  let client: Anthropic;

  beforeAll(async () => {
    fake = await startFakeAnthropic();
    client = new Anthropic({ baseURL: fake.url, apiKey: FAKE_ANTHROPIC_KEY, maxRetries: 0 });
  });
  afterAll(() => fake?.close());

  it('answers a message with the echo and computed usage, and records the request', async () => {
    const result = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Hello there' }],
    });
    expect(result.type).toBe('message');
    expect(result.content).toEqual([{ type: 'text', text: 'echo: Hello there' }]);
    expect(result.stop_reason).toBe('end_turn');
    expect(result.usage).toMatchObject({
      input_tokens: tokensOf('Be brief.') + tokensOf('Hello there'),
      output_tokens: tokensOf('echo: Hello there'),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });
    const recorded = fake.requests.at(-1);
    expect(recorded).toMatchObject({ method: 'POST', path: '/v1/messages' });
    // The installed SDK sends its apiKey as a Bearer token; the fake also takes x-api-key (below).
    expect(recorded?.headers.authorization).toBe(`Bearer ${FAKE_ANTHROPIC_KEY}`);
    expect(recorded?.headers['anthropic-version']).toBeTruthy();
  });

  it('streams the SSE events, and the SDK helper yields the text and the scripted usage', async () => {
    const usage = { input_tokens: 30, cache_creation_input_tokens: 2000, cache_read_input_tokens: 5000 };
    fake.script({ text: 'one two three', usage }, { text: 'four five', usage: { output_tokens: 11 } });
    const raw = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
    });
    const types: string[] = [];
    let startUsage: Anthropic.Usage | undefined;
    for await (const event of raw) {
      types.push(event.type);
      if (event.type === 'message_start') startUsage = event.message.usage;
    }
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(startUsage).toMatchObject(usage);

    const stream = client.messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'more' }],
    });
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const final = await stream.finalMessage();
    expect(deltas.join('')).toBe('four five');
    expect(final.usage.output_tokens).toBe(11);
    expect(final.stop_reason).toBe('end_turn');
  });

  it('sends ping events on the wire (the SDK skips them)', async () => {
    const response = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'x-api-key': FAKE_ANTHROPIC_KEY,
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'm',
        max_tokens: 5,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    const text = await response.text();
    expect(text).toContain('event: ping\ndata: {"type":"ping"}\n\n');
    expect(text.startsWith('event: message_start\ndata: ')).toBe(true);
  });

  it('answers and streams tool_use blocks', async () => {
    const call = { name: 'get_weather', arguments: { city: 'Rome', days: 2 } };
    fake.script({ toolCalls: [call] }, { text: 'Let me check.', toolCalls: [call] });
    const tools = [
      {
        name: 'get_weather',
        input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } },
      },
    ];
    const result = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      tools,
      messages: [{ role: 'user', content: 'weather?' }],
    });
    expect(result.stop_reason).toBe('tool_use');
    expect(result.content[0]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: call.arguments });

    const final = await client.messages
      .stream({
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        tools,
        messages: [{ role: 'user', content: 'w?' }],
      })
      .finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'text', text: 'Let me check.' });
    expect(final.content[1]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: call.arguments });
    expect(final.content[1]?.type === 'tool_use' && final.content[1].id).toMatch(/^toolu_/);
    expect(final.stop_reason).toBe('tool_use');
  });

  it('counts tokens as the messages usage counts input', async () => {
    const counted = await client.messages.countTokens({
      model: 'claude-sonnet-4-5',
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello there' }] }],
    });
    expect(counted).toEqual({ input_tokens: tokensOf('Be brief.') + tokensOf('Hello there') });
  });

  it("a wrong key is the SDK's AuthenticationError; a missing anthropic-version a 400", async () => {
    const wrong = new Anthropic({ baseURL: fake.url, apiKey: 'sk-ant-wrong', maxRetries: 0 });
    const error = await thrown(() =>
      wrong.messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((error as InstanceType<typeof Anthropic.AuthenticationError>).type).toBe('authentication_error');

    const noVersion = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': FAKE_ANTHROPIC_KEY, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(noVersion.status).toBe(400);
    expect(await noVersion.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('scripted 429, 500 and 529 are RateLimitError, InternalServerError and OverloadedError', async () => {
    const ask = () =>
      client.messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    fake.script({ fail: { kind: 'status', status: 429, retryAfterSeconds: 12 } });
    const limited = await thrown(ask);
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    const rateLimit = limited as InstanceType<typeof Anthropic.RateLimitError>;
    expect(rateLimit.headers?.get('retry-after')).toBe('12');
    expect(rateLimit.type).toBe('rate_limit_error');
    expect(rateLimit.requestID).toMatch(/^req_/);

    fake.script({ fail: { kind: 'status', status: 500 } });
    const failed = await thrown(ask);
    expect(failed).toBeInstanceOf(Anthropic.InternalServerError);
    expect((failed as InstanceType<typeof Anthropic.InternalServerError>).type).toBe('api_error');

    fake.script({ fail: { kind: 'status', status: 529 } });
    const overloaded = await thrown(() =>
      client.messages
        .stream({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })
        .finalMessage(),
    );
    expect(overloaded).toBeInstanceOf(Anthropic.OverloadedError);
    expect((overloaded as InstanceType<typeof Anthropic.OverloadedError>).type).toBe('overloaded_error');
  });

  it('garbage, a hang and a dropped connection surface as the SDK reports them', async () => {
    const ask = (c: Anthropic = client) =>
      c.messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    fake.script({ fail: { kind: 'garbage', status: 502, contentType: 'text/html' } });
    expect(await thrown(() => ask())).toBeInstanceOf(Anthropic.InternalServerError);

    fake.script({ fail: { kind: 'garbage' } });
    expect(await thrown(() => ask())).toBeInstanceOf(SyntaxError);

    fake.script({ fail: { kind: 'hang' } });
    const impatient = new Anthropic({
      baseURL: fake.url,
      apiKey: FAKE_ANTHROPIC_KEY,
      maxRetries: 0,
      timeout: 300,
    });
    expect(await thrown(() => ask(impatient))).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);

    fake.script({ fail: { kind: 'disconnect', afterChunks: 0 } });
    expect(await thrown(() => ask())).toBeInstanceOf(Anthropic.APIConnectionError);
  });

  it('a stream cut after N events fails the SDK helper', async () => {
    fake.script({ text: 'a b c d e f', fail: { kind: 'disconnect', afterChunks: 4 } });
    const stream = client.messages.stream({
      model: 'm',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'x' }],
    });
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const error = await thrown(() => stream.finalMessage());
    // message_start, content_block_start, ping, one text delta, then the socket is destroyed.
    expect(deltas).toEqual(['a ']);
    // The Anthropic SDK wraps the failed body read (fetch's TypeError 'terminated') as a connection error.
    expect(error).toBeInstanceOf(Anthropic.APIConnectionError);
    expect(((error as Error).cause as Error | undefined)?.message).toBe('terminated');
  });

  it("an overloaded_error inside a stream is the SDK's error; without streaming a 529", async () => {
    fake.script({ text: 'a b c', fail: { kind: 'stream-error', afterChunks: 3 } });
    const stream = client.messages.stream({
      model: 'm',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'x' }],
    });
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const error = await thrown(() => stream.finalMessage());
    expect(deltas).toEqual([]);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).type).toBe('overloaded_error');

    fake.script({ fail: { kind: 'stream-error', afterChunks: 3 } });
    const plain = await thrown(() =>
      client.messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(plain).toBeInstanceOf(Anthropic.OverloadedError);
  });

  it('close() ends a hanging request', async () => {
    const own = await startFakeAnthropic();
    own.script({ fail: { kind: 'hang' } });
    const c = new Anthropic({ baseURL: own.url, apiKey: FAKE_ANTHROPIC_KEY, maxRetries: 0 });
    const pending = thrown(() =>
      c.messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    );
    while (own.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await own.close();
    expect(await pending).toBeInstanceOf(Anthropic.APIConnectionError);
  });
});
