import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHuman, auditEventsOf, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { bundleDir, files, removeDir, V1, V2 } from './change-fixtures.js';

describe.each(DATABASES)('shadow policies (%s)', (db) => {
  let t: TestNode;
  let dir: string;
  let security: string;
  let worker: Awaited<ReturnType<typeof seedAgent>>;
  const decideAs = async (tool: string, args: object = { path: '/tmp/x' }) =>
    (await request(t.node, 'POST', '/v1/decide', worker.key, { tool, args })).json() as {
      decisionId: string;
      effect: string;
      decidingRule: string | null;
    };
  const divergences = () =>
    t.node.storage.db
      .selectFrom('policy_shadow_divergences')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  const flush = () => t.node.policyChanges.shadowEvaluator.flush();

  beforeAll(async () => {
    dir = await bundleDir(V1);
    t = await startTestNode(db, { policyDir: dir, settings: { policySyncIntervalMs: 3_600_000 } });
    security = (await addHuman(t.node, ['security'])).token;
    worker = await seedAgent(t.node, { roles: ['worker'] });
  });
  afterAll(async () => {
    await t.close();
    await removeDir(dir);
  });

  it('evaluates every decision against the shadow bundle, records divergences and never enforces them', async () => {
    const started = await request(t.node, 'POST', '/v1/policies/shadow', security, { files: files(V2) });
    expect(started.statusCode).toBe(200);
    const version = started.json().version;
    expect(version).not.toBe(t.node.registry.versionOf(t.node.bootstrap.tenant.id));

    // The active bundle answers: the shadow would deny the write and allow the delete.
    const write = await decideAs('files.write');
    const del = await decideAs('files.delete');
    const read = await decideAs('files.read', { path: '/public/a' });
    const secret = await decideAs('files.read', { path: '/secret/a' });
    expect([write.effect, del.effect, read.effect, secret.effect]).toEqual([
      'allow',
      'deny',
      'allow',
      'allow',
    ]);
    expect(write.decidingRule).toBe('worker-write');

    // The flusher writes on its own every second; flushing here writes what it has not yet.
    await flush();
    const rows = await divergences();
    expect(
      rows.map((r) => [
        r.decision_id,
        r.tool,
        r.active_effect,
        r.active_rule,
        r.shadow_effect,
        r.shadow_rule,
      ]),
    ).toEqual([
      [write.decisionId, 'files.write', 'allow', 'worker-write', 'deny', 'worker-write-frozen'],
      [del.decisionId, 'files.delete', 'deny', 'worker-no-delete', 'allow', 'worker-delete'],
      [secret.decisionId, 'files.read', 'allow', 'worker-read', 'review', 'worker-read-secret'],
    ]);
    expect(rows.every((r) => r.agent_id === worker.agent.id && r.shadow_version === version)).toBe(true);

    // The recorded decisions are the active bundle's.
    const stored = await t.node.storage.db
      .selectFrom('decisions')
      .select(['id', 'effect'])
      .where('id', 'in', [write.decisionId, del.decisionId])
      .execute();
    expect(Object.fromEntries(stored.map((s) => [s.id, s.effect]))).toEqual({
      [write.decisionId]: 'allow',
      [del.decisionId]: 'deny',
    });
    expect((await auditEventsOf(t.node, version)).map((e) => e.type)).toContain('policy.shadow.start');
  });

  it('reports divergences by rule, tool and agent', async () => {
    await decideAs('files.write');
    await flush();
    const answer = await request(t.node, 'GET', '/v1/policies/shadow', security);
    expect(answer.statusCode).toBe(200);
    const report = answer.json();
    expect(report.running.version).toBe(report.version);
    expect(report.decisions).toBe(5);
    expect(report.divergences).toBe(4);
    expect(report.byRule[0]).toMatchObject({
      activeRule: 'worker-write',
      shadowRule: 'worker-write-frozen',
      transition: 'allow→deny',
      count: 2,
    });
    expect(report.byTool).toEqual(
      expect.arrayContaining([
        { key: 'files.write', transition: 'allow→deny', count: 2 },
        { key: 'files.delete', transition: 'deny→allow', count: 1 },
        { key: 'files.read', transition: 'allow→review', count: 1 },
      ]),
    );
    expect(report.byAgent).toEqual(
      expect.arrayContaining([{ key: worker.agent.id, transition: 'allow→deny', count: 2 }]),
    );
    expect(report.examples).toHaveLength(4);
    const auditor = await addHuman(t.node, ['auditor']);
    expect((await request(t.node, 'GET', '/v1/policies/shadow', auditor.token)).statusCode).toBe(200);
    const owner = await addHuman(t.node, ['owner']);
    expect((await request(t.node, 'GET', '/v1/policies/shadow', owner.token)).statusCode).toBe(403);
  });

  it('stops: later decisions are not evaluated, the report keeps the divergences', async () => {
    const stopped = await request(t.node, 'DELETE', '/v1/policies/shadow', security);
    expect(stopped.statusCode).toBe(200);
    const before = (await divergences()).length;
    await decideAs('files.write');
    expect(await flush()).toBe(0);
    expect((await divergences()).length).toBe(before);
    const report = (await request(t.node, 'GET', '/v1/policies/shadow', security)).json();
    expect(report).toMatchObject({ running: null, version: stopped.json().version, divergences: before });
    expect((await request(t.node, 'DELETE', '/v1/policies/shadow', security)).statusCode).toBe(404);
  });

  it('refuses a candidate with errors and starts nothing', async () => {
    const broken = [{ path: 'workers.yaml', text: 'kind: Policy\n' }];
    const answer = await request(t.node, 'POST', '/v1/policies/shadow', security, { files: broken });
    expect(answer.statusCode).toBe(422);
    expect(answer.json().error.details.issues.length).toBeGreaterThan(0);
    expect(t.node.policyChanges.shadows.get(t.node.bootstrap.tenant.id)).toBeUndefined();
    expect(await t.node.storage.db.selectFrom('policy_shadows').selectAll().execute()).toEqual([]);
    const bad = await request(t.node, 'POST', '/v1/policies/shadow', security, {
      files: [{ path: 'a.yaml' }],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('body.files');
  });

  // Several nodes share PostgreSQL; SQLite serves one node.
  it.skipIf(db === 'sqlite')('a second node on the same database evaluates the shadow too', async () => {
    const b = await startTestNode(db, {
      policyDir: dir,
      shared: t.database,
      settings: { policySyncIntervalMs: 3_600_000 },
    });
    try {
      const started = await request(t.node, 'POST', '/v1/policies/shadow', security, { files: files(V2) });
      const version = started.json().version;
      await expect
        .poll(() => b.node.policyChanges.shadows.get(b.node.bootstrap.tenant.id)?.bundle.version)
        .toBe(version);
      const answer = await request(b.node, 'POST', '/v1/decide', worker.key, {
        tool: 'files.write',
        args: {},
      });
      expect(answer.json().effect).toBe('allow');
      expect(await b.node.policyChanges.shadowEvaluator.flush()).toBe(1);
      await request(t.node, 'DELETE', '/v1/policies/shadow', security);
      await expect.poll(() => b.node.policyChanges.shadows.get(b.node.bootstrap.tenant.id)).toBeUndefined();
    } finally {
      await b.close();
    }
  });
});
