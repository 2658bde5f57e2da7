import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addHuman, auditEventsOf, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import {
  bundleDir,
  RecordingNotifier,
  removeDir,
  V1,
  V2,
  type WorkerRule,
  writeBundle,
} from './change-fixtures.js';

const HOUR = 3_600_000;
/** V1 and one more allow: takes nothing away. */
const V1_PLUS: readonly WorkerRule[] = [...V1, { id: 'worker-stat', effect: 'allow', tools: ['files.stat'] }];

describe.each(DATABASES)('notify-first reloads (%s)', (db) => {
  let t: TestNode;
  let dir: string;
  let offset = 0;
  const notifier = new RecordingNotifier();
  let security: string;
  let owner: { id: string; email: string };
  let worker: Awaited<ReturnType<typeof seedAgent>>;
  const tenantId = () => t.node.bootstrap.tenant.id;
  const reload = (body?: object) => request(t.node, 'POST', '/v1/policies/reload', security, body);

  beforeAll(async () => {
    dir = await bundleDir(V1);
    t = await startTestNode(db, {
      policyDir: dir,
      notifier,
      clock: () => Date.now() + offset,
      settings: { policySyncIntervalMs: 3_600_000 },
    });
    security = (await addHuman(t.node, ['security'])).token;
    owner = await addHuman(t.node, ['owner']);
    worker = await seedAgent(t.node, { roles: ['worker'], ownerId: owner.id });
    // A retired agent's lost allows tell nobody.
    const retired = await seedAgent(t.node, { roles: ['worker'], status: 'retired' });
    for (const key of [worker.key, worker.key, retired.key]) {
      await request(t.node, 'POST', '/v1/decide', key, { tool: 'files.write', args: { path: '/tmp/x' } });
    }
  });
  afterAll(async () => {
    await t.close();
    await removeDir(dir);
  });
  beforeEach(async () => {
    notifier.sent.length = 0;
    await writeBundle(dir, V1);
    await reload({ notifyFirst: '0s' });
    await t.node.storage.db
      .updateTable('policy_schedules')
      .set({ status: 'cancelled' })
      .where('status', '=', 'scheduled')
      .execute();
    notifier.sent.length = 0;
  });

  it('schedules a version that takes allows away, tells the owners, and lists it', async () => {
    const before = t.node.registry.versionOf(tenantId());
    await writeBundle(dir, V2);
    const answer = await reload({ notifyFirst: '24h' });
    expect(answer.statusCode).toBe(202);
    const body = answer.json();
    expect(body).toMatchObject({ outcome: 'scheduled', previousVersion: before, changed: false });
    expect(body.affectedAgents).toEqual([
      {
        agentId: worker.agent.id,
        agentName: worker.agent.name,
        ownerId: owner.id,
        ownerEmail: owner.email,
        count: 2,
      },
    ]);
    expect(Date.parse(body.schedule.activateAt) - Date.now() - offset).toBeGreaterThan(23 * HOUR);
    // Not active yet, anywhere.
    expect(t.node.registry.versionOf(tenantId())).toBe(before);
    const told = notifier.sent.filter((n) => n.type === 'policy.impact');
    expect(told.map((n) => n.recipient.humanId)).toEqual([owner.id]);
    expect(told[0]?.summary).toContain(worker.agent.name);
    expect(told[0]?.data).toMatchObject({ scheduleId: body.schedule.id });
    const listed = (await request(t.node, 'GET', '/v1/policies/scheduled', t.adminToken)).json();
    expect(listed.scheduled.map((s: { id: string }) => s.id)).toEqual([body.schedule.id]);
    const events = await auditEventsOf(t.node, body.schedule.id);
    expect(events.map((e) => e.type)).toEqual(['policy.schedule']);
    expect(events[0]?.payload).toMatchObject({ version: body.version, changed: 2 });
  });

  it('cancels a scheduled version: it never becomes active', async () => {
    await writeBundle(dir, V2);
    const { schedule } = (await reload({ notifyFirst: '1h' })).json();
    const cancelled = await request(t.node, 'POST', `/v1/policies/scheduled/${schedule.id}/cancel`, security);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json().scheduled).toMatchObject({ id: schedule.id, status: 'cancelled' });
    const again = await request(t.node, 'POST', `/v1/policies/scheduled/${schedule.id}/cancel`, security);
    expect(again.statusCode).toBe(409);
    const unknown = await request(
      t.node,
      'POST',
      '/v1/policies/scheduled/pls_00000000000000000000000000/cancel',
      security,
    );
    expect(unknown.statusCode).toBe(404);
    offset += 2 * HOUR;
    expect(await t.node.policyChanges.schedules.activateDue()).toBe(0);
    expect(t.node.registry.versionOf(tenantId())).not.toBe(schedule.version);
    expect((await auditEventsOf(t.node, schedule.id)).map((e) => e.type)).toEqual([
      'policy.schedule',
      'policy.schedule.cancel',
    ]);
  });

  it('activates a scheduled version once its grace period is over', async () => {
    await writeBundle(dir, V2);
    const { schedule } = (await reload({ notifyFirst: '30m' })).json();
    expect(await t.node.policyChanges.schedules.activateDue()).toBe(0);
    offset += HOUR;
    expect(await t.node.policyChanges.schedules.activateDue()).toBe(1);
    expect(await t.node.policyChanges.schedules.activateDue()).toBe(0);
    expect(t.node.registry.versionOf(tenantId())).toBe(schedule.version);
    const activations = (await auditEventsOf(t.node, schedule.version)).filter(
      (e) => e.type === 'policy.activate',
    );
    expect(activations.at(-1)?.actor).toMatchObject({ type: 'system', id: 'policy-schedule' });
    const all = (await request(t.node, 'GET', '/v1/policies/scheduled?all=true', t.adminToken)).json();
    expect(all.scheduled.find((s: { id: string }) => s.id === schedule.id)).toMatchObject({
      status: 'activated',
    });
  });

  it("uses the tenant's setting when the request names no grace period", async () => {
    const set = await request(t.node, 'PUT', '/v1/policies/settings', security, { notifyFirst: '2h' });
    expect(set.json()).toEqual({ notifyFirstSeconds: 7200 });
    expect((await request(t.node, 'GET', '/v1/policies/settings', t.adminToken)).json()).toEqual({
      notifyFirstSeconds: 7200,
    });
    await writeBundle(dir, V2);
    const answer = await reload();
    expect(answer.statusCode).toBe(202);
    expect(answer.json().schedule.status).toBe('scheduled');
    await request(t.node, 'PUT', '/v1/policies/settings', security, { notifyFirst: '0s' });
  });

  it('activates at once what takes nothing away, and tells owners before activating without a grace period', async () => {
    await writeBundle(dir, V1_PLUS);
    const plus = await reload({ notifyFirst: '24h' });
    expect(plus.statusCode).toBe(200);
    expect(plus.json()).toMatchObject({
      outcome: 'activated',
      changed: true,
      affectedAgents: [],
      schedule: null,
    });
    expect(notifier.sent).toEqual([]);
    await writeBundle(dir, V2);
    const now = await reload({ notifyFirst: '0s' });
    expect(now.json()).toMatchObject({ outcome: 'activated', changed: true });
    expect(notifier.sent.filter((n) => n.type === 'policy.impact').map((n) => n.recipient.humanId)).toEqual([
      owner.id,
    ]);
  });

  it('a newer reload supersedes the one still waiting', async () => {
    await writeBundle(dir, V2);
    const first = (await reload({ notifyFirst: '1h' })).json().schedule;
    await writeBundle(dir, [...V2, { id: 'worker-stat', effect: 'allow', tools: ['files.stat'] }]);
    const second = (await reload({ notifyFirst: '1h' })).json().schedule;
    const all = (await request(t.node, 'GET', '/v1/policies/scheduled?all=true', t.adminToken)).json()
      .scheduled;
    expect(all.find((s: { id: string }) => s.id === first.id).status).toBe('superseded');
    expect(all.find((s: { id: string }) => s.id === second.id).status).toBe('scheduled');
  });

  it('refuses bad input naming the field, and changes nothing', async () => {
    await writeBundle(dir, V2);
    for (const [body, field] of [
      [{ notifyFirst: 'soon' }, 'body.notifyFirst'],
      [{ notifyFirst: '400d' }, 'body.notifyFirst'],
      [{ other: 1 }, 'body'],
    ] as const) {
      const answer = await reload(body);
      expect(answer.statusCode).toBe(400);
      expect(answer.json().error.message).toContain(field);
    }
    const bad = await request(t.node, 'PUT', '/v1/policies/settings', security, { notifyFirst: '-1h' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('body.notifyFirst');
    expect((await request(t.node, 'GET', '/v1/policies/scheduled', t.adminToken)).json().scheduled).toEqual(
      [],
    );
    const owner2 = await addHuman(t.node, ['owner']);
    expect(
      (await request(t.node, 'PUT', '/v1/policies/settings', owner2.token, { notifyFirst: '1h' })).statusCode,
    ).toBe(403);
  });
});

// Several nodes share PostgreSQL; SQLite serves one node.
describe('a scheduled version activated by two nodes on one PostgreSQL at once', () => {
  const db = 'postgres';
  let a: TestNode;
  let b: TestNode;
  let dir: string;
  let offset = 0;

  beforeEach(async () => {
    dir = await bundleDir(V1);
    const clock = () => Date.now() + offset;
    a = await startTestNode(db, { policyDir: dir, clock, settings: { policySyncIntervalMs: 3_600_000 } });
    b = await startTestNode(db, {
      policyDir: dir,
      clock,
      shared: a.database,
      settings: { policySyncIntervalMs: 3_600_000 },
    });
  });
  afterEach(async () => {
    await b.close();
    await a.close();
    await removeDir(dir);
  });

  it('activates it exactly once, and both nodes decide with it', async () => {
    const worker = await seedAgent(a.node, { roles: ['worker'] });
    await request(a.node, 'POST', '/v1/decide', worker.key, { tool: 'files.write', args: { path: '/x' } });
    const security = (await addHuman(a.node, ['security'])).token;
    await writeBundle(dir, V2);
    const { schedule } = (
      await request(a.node, 'POST', '/v1/policies/reload', security, { notifyFirst: '10m' })
    ).json();
    offset += HOUR;
    for (let round = 0; round < 3; round++) {
      const done = await Promise.all([
        a.node.policyChanges.schedules.activateDue(),
        b.node.policyChanges.schedules.activateDue(),
      ]);
      expect(done.reduce((x, y) => x + y, 0)).toBe(round === 0 ? 1 : 0);
    }
    const activations = (await auditEventsOf(a.node, schedule.version)).filter(
      (e) => e.type === 'policy.activate',
    );
    expect(activations).toHaveLength(1);
    await b.node.policies.syncAll();
    await a.node.policies.syncAll();
    expect(a.node.registry.versionOf(a.node.bootstrap.tenant.id)).toBe(schedule.version);
    expect(b.node.registry.versionOf(b.node.bootstrap.tenant.id)).toBe(schedule.version);
    const denied = await request(b.node, 'POST', '/v1/decide', worker.key, {
      tool: 'files.write',
      args: { path: '/x' },
    });
    expect(denied.json()).toMatchObject({ effect: 'deny', decidingRule: 'worker-write-frozen' });
  });
});
