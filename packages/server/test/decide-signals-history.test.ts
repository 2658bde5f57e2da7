import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEventsOf, request } from './helpers/api.js';
import { seedAgent } from './helpers/seed-agent.js';
import { SIGNALS_BUNDLE, writeBundle } from './helpers/signals-bundle.js';
import { DATABASES, startTestNode, type TestNode } from './helpers/test-node.js';

interface Answer {
  decisionId: string;
  effect: string;
  code: string;
  decidingRule: string | null;
  reason: string;
}

describe.each(DATABASES)('agent signals and task history in decisions (%s)', (db) => {
  let t: TestNode;
  let dir: string;
  let key: string;
  let security: string;

  beforeAll(async () => {
    dir = writeBundle(SIGNALS_BUNDLE);
    t = await startTestNode(db, { policyDir: dir });
    key = (await seedAgent(t.node)).key;
    security = t.adminToken;
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const decide = async (body: object, agentKey = key) => {
    const res = await request(t.node, 'POST', '/v1/decide', agentKey, body);
    return { status: res.statusCode, body: res.json() as Answer & { error?: { message: string } } };
  };
  const outcome = (decisionId: string, status: 'succeeded' | 'failed') =>
    request(t.node, 'POST', `/v1/decisions/${decisionId}/outcome`, key, {
      status,
      ...(status === 'failed' ? { error: 'upstream timeout' } : {}),
    });
  const countDecisions = async () =>
    Number(
      (
        await t.node.storage.db
          .selectFrom('decisions')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('reviews a low-confidence call and allows a confident one; a missing signal reads its default', async () => {
    const low = await decide({
      tool: 'email.send',
      args: { to: 'a@shop.example' },
      context: { signals: { confidence: 0.5 } },
    });
    expect(low.body).toMatchObject({ effect: 'review', decidingRule: 'low-confidence' });
    const sure = await decide({
      tool: 'email.send',
      args: { to: 'a@shop.example' },
      context: { signals: { confidence: 0.95 } },
    });
    expect(sure.body.effect).toBe('allow');
    expect((await decide({ tool: 'email.send', args: { to: 'a@shop.example' } })).body.effect).toBe('allow');
  });

  it('fails closed when a rule reads a signal that has no default and was not reported', async () => {
    const missing = await decide({ tool: 'payments.refund', args: { amount: 5 } });
    expect(missing.body).toMatchObject({
      effect: 'deny',
      code: 'condition_error',
      decidingRule: 'risky-refund',
    });
    const given = await decide({
      tool: 'payments.refund',
      args: { amount: 5 },
      context: { signals: { risk_score: 0.2 } },
    });
    expect(given.body.effect).toBe('allow');
    const risky = await decide({
      tool: 'payments.refund',
      args: { amount: 5 },
      context: { signals: { risk_score: 0.95 } },
    });
    expect(risky.body).toMatchObject({ effect: 'deny', code: 'rule', decidingRule: 'risky-refund' });
  });

  it('refuses undeclared, mistyped, too long and too many signals with a 400 naming the field, writing nothing', async () => {
    const before = await countDecisions();
    const cases: [object, string][] = [
      [
        { mood: 1 },
        "body.context.signals.mood: signal 'mood' is not declared by the policy (declared: confidence, risk_score, channel, human_present)",
      ],
      [{ confidence: 'high' }, 'body.context.signals.confidence: expected a number, got a string'],
      [{ human_present: 'yes' }, 'body.context.signals.human_present: expected true or false, got a string'],
      [{ channel: 'carrier-pigeon' }, 'body.context.signals.channel: expected at most 8 characters, got 14'],
      [Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`s${i}`, 1])), 'body.context.signals'],
      [{ confidence: [1] }, 'body.context.signals'],
      [{ 'bad name': 1 }, 'body.context.signals'],
    ];
    for (const [signals, message] of cases) {
      const res = await decide({ tool: 'email.send', args: { to: 'a@shop.example' }, context: { signals } });
      expect(res.status).toBe(400);
      expect(res.body.error?.message).toContain(message);
    }
    expect(await countDecisions()).toBe(before);
  });

  it('records the signals in the decision audit event', async () => {
    const res = await decide({
      tool: 'email.send',
      args: { to: 'a@shop.example' },
      context: { signals: { confidence: 0.8, channel: 'chat', human_present: true } },
    });
    const [event] = await auditEventsOf(t.node, res.body.decisionId);
    expect(event?.payload?.signals).toEqual({ confidence: 0.8, channel: 'chat', human_present: true });
    const row = await t.node.storage.db
      .selectFrom('decisions')
      .select('detail')
      .where('id', '=', res.body.decisionId)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(row.detail).context.signals).toEqual({
      confidence: 0.8,
      channel: 'chat',
      human_present: true,
    });
  });

  it('reviews the third failure of a tool in a task, and only in that task and for that tool', async () => {
    const taskId = `fail-${db}`;
    const refund = (task: string) =>
      decide({
        tool: 'payments.refund',
        args: { amount: 5 },
        context: { taskId: task, signals: { risk_score: 0 } },
      });
    for (let i = 0; i < 3; i++) {
      const d = await refund(taskId);
      expect(d.body.effect).toBe('allow');
      expect((await outcome(d.body.decisionId, 'failed')).statusCode).toBe(200);
    }
    const fourth = await refund(taskId);
    expect(fourth.body).toMatchObject({ effect: 'review', decidingRule: 'third-failure' });
    // The decision keeps the history it stands on.
    const row = await t.node.storage.db
      .selectFrom('decisions')
      .select('detail')
      .where('id', '=', fourth.body.decisionId)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(row.detail).task).toEqual({
      calls: 3,
      denied: 0,
      tool_calls: { 'payments.refund': 3 },
      failures: { 'payments.refund': 3 },
      tools: ['payments.refund'],
      labels: [],
    });
    expect((await refund(`${taskId}-other`)).body.effect).toBe('allow');
    const email = await decide({ tool: 'email.send', args: { to: 'a@shop.example' }, context: { taskId } });
    expect(email.body.effect).toBe('allow');
    // A succeeded outcome is not a failure.
    const ok = await refund(`${taskId}-ok`);
    await outcome(ok.body.decisionId, 'succeeded');
    expect((await refund(`${taskId}-ok`)).body.effect).toBe('allow');
  });

  it('denies external email in a task that read customer PII, and not before', async () => {
    const taskId = `pii-${db}`;
    const external = { tool: 'email.send', args: { to: 'someone@gmail.com' }, context: { taskId } };
    expect((await decide(external)).body.effect).toBe('allow');
    const read = await decide({ tool: 'crm.contacts.read', args: { id: 'C-1' }, context: { taskId } });
    expect(read.body.effect).toBe('allow');
    expect((await decide(external)).body).toMatchObject({
      effect: 'deny',
      decidingRule: 'pii-then-external-email',
    });
    const internal = await decide({ ...external, args: { to: 'someone@shop.example' } });
    expect(internal.body.effect).toBe('allow');
    // Another task has read nothing.
    expect((await decide({ ...external, context: { taskId: `${taskId}-2` } })).body.effect).toBe('allow');
  });

  it('does not label a task with a call that was denied', async () => {
    const taskId = `denied-label-${db}`;
    const other = await seedAgent(t.node, { status: 'suspended' });
    const denied = await decide({ tool: 'crm.contacts.read', args: {}, context: { taskId } }, other.key);
    expect(denied.body.code).toBe('agent_suspended');
    const labels = await t.node.storage.db
      .selectFrom('task_labels')
      .selectAll()
      .where('task_id', '=', taskId)
      .execute();
    expect(labels).toEqual([]);
  });

  it('keeps task facts exact under 100 concurrent calls of one task: exactly the first 50 are allowed', async () => {
    const taskId = `race-${db}`;
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => decide({ tool: 'counter.tick', args: {}, context: { taskId } })),
    );
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(answers.filter((a) => a.body.effect === 'allow')).toHaveLength(50);
    expect(answers.filter((a) => a.body.effect === 'deny').every((a) => a.body.code === 'no_grant')).toBe(
      true,
    );
    const counts = await t.node.storage.db
      .selectFrom('task_tool_counts')
      .selectAll()
      .where('task_id', '=', taskId)
      .execute();
    expect(counts.map((c) => ({ tool: c.tool, calls: Number(c.calls), denied: Number(c.denied) }))).toEqual([
      { tool: 'counter.tick', calls: 100, denied: 50 },
    ]);
    // In commit order, the allowed calls are exactly the first 50.
    const rows = await t.node.storage.db
      .selectFrom('audit_events')
      .select(['seq', 'type'])
      .where(
        'subject_id',
        'in',
        answers.map((a) => a.body.decisionId),
      )
      .orderBy('seq')
      .execute();
    expect(rows.map((r) => r.type)).toEqual([
      ...Array.from({ length: 50 }, () => 'decision.allow'),
      ...Array.from({ length: 50 }, () => 'decision.deny'),
    ]);
  }, 60_000);

  it('counts 100 concurrent failed outcomes of one task exactly', async () => {
    const taskId = `failures-${db}`;
    const decided = await Promise.all(
      Array.from({ length: 100 }, () => decide({ tool: 'kb.search', args: {}, context: { taskId } })),
    );
    const reported = await Promise.all(decided.map((d) => outcome(d.body.decisionId, 'failed')));
    expect(reported.filter((r) => r.statusCode !== 200)).toEqual([]);
    const row = await t.node.storage.db
      .selectFrom('task_tool_counts')
      .selectAll()
      .where('task_id', '=', taskId)
      .executeTakeFirstOrThrow();
    expect({ calls: Number(row.calls), failures: Number(row.failures), denied: Number(row.denied) }).toEqual({
      calls: 100,
      failures: 100,
      denied: 0,
    });
  }, 60_000);

  it('refuses to load a bundle whose condition compares a number signal with a string', async () => {
    writeFileSync(
      join(dir, 'bad.yaml'),
      `apiVersion: warden/v1
kind: Guardrail
metadata: { name: bad, owner: security@example.com }
spec:
  rules:
    - id: bad-compare
      effect: deny
      tools: [kb.search]
      when: signals.confidence == "low"
    - id: bad-label
      effect: deny
      tools: [kb.search]
      when: '"phi" in task.labels'
`,
    );
    try {
      const res = await request(t.node, 'POST', '/v1/policies/reload', security);
      expect(res.statusCode).toBe(422);
      const texts = (
        res.json() as { error: { details: { issues: { text: string }[] } } }
      ).error.details.issues.map((i) => i.text);
      expect(texts).toEqual([
        expect.stringContaining("rule 'bad-compare': condition does not type-check"),
        expect.stringContaining(
          "rule 'bad-label': looks for the label 'phi' in task.labels, but no rule sets it",
        ),
      ]);
    } finally {
      rmSync(join(dir, 'bad.yaml'));
    }
  });
});
