import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { openStorage } from '../src/storage/database.js';
import { call, createAgentOn, type NodeProcess, startProcess, stopProcess } from './helpers/node-process.js';
import { SIGNALS_BUNDLE, writeBundle } from './helpers/signals-bundle.js';
import { createTestDatabase, type TestDatabaseHandle } from './helpers/test-node.js';

describe('task history with two server processes on one PostgreSQL database', () => {
  let database: TestDatabaseHandle;
  let policyDir: string;
  let keyDir: string;
  let a: NodeProcess;
  let b: NodeProcess;
  let admin: string;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    policyDir = writeBundle(SIGNALS_BUNDLE);
    keyDir = mkdtempSync(join(tmpdir(), 'warden-keys-'));
    a = await startProcess({ databaseUrl: database.url, policyDir, keyDir });
    b = await startProcess({ databaseUrl: database.url, policyDir, keyDir });
    admin = readFileSync(join(a.dataDir, 'admin-token'), 'utf8').trim();
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a && stopProcess(a), b && stopProcess(b)]);
    rmSync(policyDir, { recursive: true, force: true });
    rmSync(keyDir, { recursive: true, force: true });
    await database.drop();
  });

  it('decides 100 concurrent calls of one task on both nodes against one exact history', async () => {
    const agent = await createAgentOn(a.url, admin, 'ticker');
    const taskId = 'two-nodes-race';
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        call(i % 2 === 0 ? a.url : b.url, agent.key, 'POST', '/v1/decide', {
          tool: 'counter.tick',
          args: {},
          context: { taskId },
        }),
      ),
    );
    expect(answers.filter((r) => r.status !== 200)).toEqual([]);
    expect(answers.filter((r) => r.body.effect === 'allow')).toHaveLength(50);

    const storage = openStorage(loadConfig({ overrides: { databaseUrl: database.url, dataDir: keyDir } }));
    try {
      const counts = await storage.db
        .selectFrom('task_tool_counts')
        .selectAll()
        .where('task_id', '=', taskId)
        .execute();
      expect(counts.map((c) => [c.tool, Number(c.calls), Number(c.denied)])).toEqual([
        ['counter.tick', 100, 50],
      ]);
      // Whichever node recorded it, the allowed calls are the first 50 in commit (audit) order.
      const events = await storage.db
        .selectFrom('audit_events')
        .select(['type'])
        .where(
          'subject_id',
          'in',
          answers.map((r) => r.body.decisionId ?? ''),
        )
        .orderBy('seq')
        .execute();
      expect(events.map((e) => e.type)).toEqual([
        ...Array.from({ length: 50 }, () => 'decision.allow'),
        ...Array.from({ length: 50 }, () => 'decision.deny'),
      ]);
    } finally {
      await storage.close();
    }
  }, 60_000);

  it('sees failures and labels recorded on one node when deciding on the other', async () => {
    const agent = await createAgentOn(a.url, admin, 'emailer');
    const taskId = 'two-nodes-history';
    const read = await call(a.url, agent.key, 'POST', '/v1/decide', {
      tool: 'crm.contacts.read',
      args: {},
      context: { taskId },
    });
    expect(read.body.effect).toBe('allow');
    const external = await call(b.url, agent.key, 'POST', '/v1/decide', {
      tool: 'email.send',
      args: { to: 'someone@gmail.com' },
      context: { taskId },
    });
    expect(external.body).toMatchObject({ effect: 'deny', code: 'rule' });
    for (let i = 0; i < 3; i++) {
      const sent = await call(a.url, agent.key, 'POST', '/v1/decide', {
        tool: 'email.send',
        args: { to: 'c@shop.example' },
        context: { taskId },
      });
      expect(sent.body.effect).toBe('allow');
      const failed = await call(b.url, agent.key, 'POST', `/v1/decisions/${sent.body.decisionId}/outcome`, {
        status: 'failed',
        error: 'bounced',
      });
      expect(failed.status).toBe(200);
    }
    const fourth = await call(a.url, agent.key, 'POST', '/v1/decide', {
      tool: 'email.send',
      args: { to: 'c@shop.example' },
      context: { taskId },
    });
    expect(fourth.body).toMatchObject({ effect: 'review', code: 'rule' });
  }, 60_000);
});
