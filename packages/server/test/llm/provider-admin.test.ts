import { rm } from 'node:fs/promises';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHuman, auditEventsOf } from '../helpers/api.js';
import { databaseDigest } from '../helpers/db-digest.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { FAKE_OPENAI_KEY, type FakeOpenAi, startFakeOpenAi } from './fakes/openai-fake.js';
import { ANTHROPIC_KEY_ENV, OPENAI_KEY_ENV, writeLlmFiles } from './llm-fixtures.js';

/**
 * LLM providers managed through the admin API: the key given once and stored sealed, used for the
 * agents' calls, changed and removed with an audit event each; the providers file's left alone.
 */
describe('LLM providers through the admin API (sqlite)', () => {
  let t: TestNode;
  let fake: FakeOpenAi;
  let dir: string;
  let security: string;
  let openai: OpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAi({ apiKey: 'sk-rotating-1', models: ['house-model'] });
    process.env[OPENAI_KEY_ENV] = FAKE_OPENAI_KEY;
    process.env[ANTHROPIC_KEY_ENV] = 'unused';
    const files = await writeLlmFiles('http://127.0.0.1:9/v1', 'http://127.0.0.1:9');
    dir = files.dir;
    t = await startTestNode('sqlite', {
      policyDir: files.policyDir,
      settings: { llmProvidersFile: files.providersFile },
    });
    security = (await addHuman(t.node, ['security'])).token;
    const key = (await seedAgent(t.node, { roles: ['llm-user'] })).key;
    openai = new OpenAI({ baseURL: `${await t.node.listen()}/llm/openai/v1`, apiKey: key, maxRetries: 0 });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await fake?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) =>
    t.node.app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${security}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
  const ask = () =>
    openai.chat.completions
      .create({ model: 'house/house-model', messages: [{ role: 'user', content: 'house call' }] })
      .then((r) => r.choices[0]?.message.content)
      .catch((error: unknown) => error);
  const stored = async () =>
    JSON.stringify([
      await t.node.storage.db.selectFrom('llm_providers').selectAll().execute(),
      await t.node.storage.db.selectFrom('audit_events').select('body').execute(),
    ]);

  it('adds a provider whose key is stored sealed and used for the agents’ calls', async () => {
    const added = await call('POST', '/v1/llm/providers', {
      name: 'house',
      kind: 'openai-compatible',
      baseUrl: fake.url,
      apiKey: { secret: 'sk-rotating-1' },
      models: ['house-model'],
      prices: { 'house-model': { inputPerMTok: 1, outputPerMTok: 2 } },
      defaultMaxTokens: 500,
    });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json().provider).toMatchObject({ name: 'house', source: 'api', apiKey: '(stored secret)' });
    const listed = await call('GET', '/v1/llm/providers');
    expect(
      listed.json().providers.map((p: { name: string; source: string }) => `${p.name}:${p.source}`),
    ).toEqual(['openai:file', 'anthropic:file', 'local:file', 'house:api']);
    expect(await ask()).toBe('echo: house call');
    expect(fake.requests.at(-1)?.headers.authorization).toBe('Bearer sk-rotating-1');
    expect(await stored()).not.toContain('sk-rotating-1');
    expect((await auditEventsOf(t.node, 'house')).map((e) => e.type)).toEqual(['llm_provider.create']);
  });

  it('rotates the key and merges prices with PATCH, audited by field', async () => {
    const patched = await call('PATCH', '/v1/llm/providers/house', {
      apiKey: { secret: 'sk-rotating-2' },
      prices: { 'other-model': { inputPerMTok: 3, outputPerMTok: 4 } },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(Object.keys(patched.json().provider.prices)).toEqual(['house-model', 'other-model']);
    // The fake still wants the old key: the new one is what Warden now sends.
    expect(await ask()).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(fake.requests.at(-1)?.headers.authorization).toBe('Bearer sk-rotating-2');
    const [update] = (await auditEventsOf(t.node, 'house')).filter((e) => e.type === 'llm_provider.update');
    expect(update?.payload?.changed).toEqual(['apiKey', 'prices.other-model']);
    expect(await stored()).not.toContain('sk-rotating-2');
  });

  it.each([
    [
      'POST',
      '/v1/llm/providers',
      { name: 'leaky', kind: 'openai', apiKey: { fromEnv: 'HOME' } },
      400,
      'body.apiKey: fromEnv and fromFile belong in the providers file',
    ],
    [
      'POST',
      '/v1/llm/providers',
      { name: 'plain', kind: 'openai', apiKey: 'sk-plain' },
      400,
      'body.apiKey: must be a mapping',
    ],
    [
      'POST',
      '/v1/llm/providers',
      { name: 'house', kind: 'openai', apiKey: { secret: 'x' } },
      409,
      'an LLM provider named house already exists',
    ],
    [
      'POST',
      '/v1/llm/providers',
      { name: 'openai', kind: 'openai', apiKey: { secret: 'x' } },
      409,
      'comes from WARDEN_LLM_PROVIDERS_FILE',
    ],
    ['PATCH', '/v1/llm/providers/openai', { timeoutSeconds: 5 }, 409, 'comes from WARDEN_LLM_PROVIDERS_FILE'],
    ['PATCH', '/v1/llm/providers/house', { kind: 'anthropic' }, 400, 'body.kind: cannot be changed'],
    [
      'PATCH',
      '/v1/llm/providers/house',
      { apiKey: { sealed: 'AAAA' } },
      400,
      'body.apiKey: must be a value or {secret: value}',
    ],
    ['DELETE', '/v1/llm/providers/nope', undefined, 404, 'LLM provider nope not found'],
  ] as const)('%s %s %j answers %i and changes nothing', async (method, url, body, status, message) => {
    const before = await databaseDigest(t.node);
    const response = await call(method, url, body);
    expect(response.statusCode, response.body).toBe(status);
    expect(response.json().error.message).toContain(message);
    expect(await databaseDigest(t.node)).toEqual(before);
  });

  it('removes a provider: its models are no longer served', async () => {
    const removed = await call('DELETE', '/v1/llm/providers/house');
    expect(removed.statusCode, removed.body).toBe(200);
    const sent = fake.requests.length;
    // `house/house-model` is now just a model id (ids may hold a slash) that no provider prices.
    const refused = await ask();
    expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).code).toBe('unpriced_model');
    expect(fake.requests.length).toBe(sent);
    expect((await auditEventsOf(t.node, 'house')).map((e) => e.type).at(-1)).toBe('llm_provider.delete');
  });
});
