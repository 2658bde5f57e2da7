import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAgent } from './helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from './helpers/test-node.js';

const TOOLS = ['kb.articles.search', 'payments.refund', 'prod.database.drop', 'helpdesk.tickets.read'];

describe.each(DATABASES)('concurrent decisions (%s)', (db) => {
  let t: TestNode;
  let url: string;
  beforeAll(async () => {
    t = await startTestNode(db);
    url = await t.node.listen();
  });
  afterAll(() => t.close());

  it('audits 1,000 concurrent decisions over 50 connections exactly once, in a gap-free sequence', async () => {
    const agents = await Promise.all(Array.from({ length: 20 }, () => seedAgent(t.node)));
    const pool = new Pool(url, { connections: 50, pipelining: 1 });
    const before = await t.node.storage.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    try {
      const responses = await Promise.all(
        Array.from({ length: 1000 }, async (_, i) => {
          const agent = agents[i % agents.length];
          const res = await pool.request({
            method: 'POST',
            path: '/v1/decide',
            headers: { authorization: `Bearer ${agent?.key}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              tool: TOOLS[i % TOOLS.length],
              args: { amount: i % 900, n: i },
              context: { taskId: `task-${i % 37}-${agent?.agent.id}` },
            }),
          });
          return { status: res.statusCode, body: (await res.body.json()) as { decisionId: string } };
        }),
      );
      expect(responses.filter((r) => r.status !== 200)).toEqual([]);
      const ids = new Set(responses.map((r) => r.body.decisionId));
      expect(ids.size).toBe(1000);

      const events = await t.node.storage.db
        .selectFrom('audit_events')
        .select(['subject_id', 'seq', 'type'])
        .where('tenant_id', '=', t.node.bootstrap.tenant.id)
        .orderBy('seq')
        .execute();
      const decisionEvents = events.filter((e) => e.type.startsWith('decision.'));
      expect(decisionEvents).toHaveLength(1000);
      expect(new Set(decisionEvents.map((e) => e.subject_id))).toEqual(ids);
      // The tenant's sequence has no gaps and no duplicates.
      expect(events.map((e) => Number(e.seq))).toEqual(Array.from({ length: events.length }, (_, i) => i));
      // Besides the decisions: one approval request per review decision, opened in its transaction.
      const reviews = responses.filter((r) => (r.body as { effect?: string }).effect === 'review').length;
      expect(events.filter((e) => e.type === 'approval.request')).toHaveLength(reviews);
      expect(events.length).toBe(Number(before.n) + 1000 + reviews);
      const rows = await t.node.storage.db
        .selectFrom('decisions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(rows.n)).toBe(1000);
    } finally {
      await pool.close();
    }
  }, 60_000);
});
