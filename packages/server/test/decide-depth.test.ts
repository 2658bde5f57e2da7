import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEventsOf } from './helpers/api.js';
import { bearer, seedAgent } from './helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from './helpers/test-node.js';

/** JSON text of `{"a":{"a":...{}}}` nested `levels` deep, built as text: the test never recurses. */
function deepObject(levels: number): string {
  return `${'{"a":'.repeat(levels)}{}${'}'.repeat(levels)}`;
}

/** JSON text of `[[[...]]]` nested `levels` deep. */
function deepArray(levels: number): string {
  return `${'['.repeat(levels)}${']'.repeat(levels)}`;
}

/**
 * Input nested far deeper than anything walks safely: the decide path denies it as `invalid_input`
 * and records that, and an outcome stores a marker instead; neither fails with a 5xx.
 */
describe.each(DATABASES)('deeply nested input (%s)', (db) => {
  let t: TestNode;
  let support: Awaited<ReturnType<typeof seedAgent>>;
  const post = (key: string, url: string, body: string) =>
    t.node.app.inject({
      method: 'POST',
      url,
      headers: { ...bearer(key), 'content-type': 'application/json' },
      payload: body,
    });

  beforeAll(async () => {
    t = await startTestNode(db);
    support = await seedAgent(t.node, { roles: ['support-assistant'] });
  });
  afterAll(() => t.close());

  for (const [shape, text] of [
    ['objects 5,000 levels deep', deepObject(5_000)],
    ['arrays 100,000 levels deep', deepArray(100_000)],
  ] as const) {
    it(`denies args of ${shape} as invalid_input and records the deny without the args`, async () => {
      const res = await post(support.key, '/v1/decide', `{"tool":"kb.articles.search","args":{"q":${text}}}`);
      expect(res.statusCode, res.body).toBe(200);
      const answer = res.json();
      expect(answer).toMatchObject({ effect: 'deny', code: 'invalid_input' });
      expect(answer.reason).toContain('nested deeper than 32 levels');

      const row = await t.node.storage.db
        .selectFrom('decisions')
        .select(['effect', 'code', 'args'])
        .where('id', '=', answer.decisionId)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ effect: 'deny', code: 'invalid_input' });
      const stored = JSON.parse(row.args);
      expect(stored).toEqual({
        $rejected: { reason: expect.stringContaining('nested deeper than 32 levels') },
      });
      const [event] = await auditEventsOf(t.node, answer.decisionId);
      expect(event?.type).toBe('decision.deny');
      expect(event?.payload).toMatchObject({ args: stored, argsDigest: null, code: 'invalid_input' });
    });
  }

  it('denies args of more than 100,000 values as invalid_input, recorded', async () => {
    const res = await post(
      support.key,
      '/v1/decide',
      JSON.stringify({ tool: 'kb.articles.search', args: { many: Array(100_001).fill(0) } }),
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ effect: 'deny', code: 'invalid_input' });
    const [event] = await auditEventsOf(t.node, res.json().decisionId);
    expect(event?.payload).toMatchObject({
      args: { $rejected: { reason: expect.stringContaining('100000') } },
    });
  });

  for (const [shape, text] of [
    ['objects 5,000 levels deep', deepObject(5_000)],
    ['arrays 100,000 levels deep', deepArray(100_000)],
  ] as const) {
    it(`records an outcome whose output is ${shape} with a marker in its place; a second report is 409`, async () => {
      const decided = await post(support.key, '/v1/decide', '{"tool":"kb.articles.read"}');
      const id = decided.json().decisionId as string;
      const url = `/v1/decisions/${id}/outcome`;
      const res = await post(support.key, url, `{"status":"succeeded","output":${text}}`);
      expect(res.statusCode, res.body).toBe(200);
      const row = await t.node.storage.db
        .selectFrom('decisions')
        .select(['outcome_status', 'outcome'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(row.outcome_status).toBe('succeeded');
      expect(JSON.parse(row.outcome ?? '{}').output).toEqual({
        $truncated: { reason: expect.stringContaining('nested deeper than') },
      });
      const again = await post(support.key, url, `{"status":"succeeded","output":${text}}`);
      expect(again.statusCode, again.body).toBe(409);
      expect(again.json().error.code).toBe('conflict');
    });
  }
});
