import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DriftNoticeDeps, sendMonthlyNotices } from '../../src/drift/drift-notices.js';
import { DriftService } from '../../src/drift/drift-service.js';
import type { Notification } from '../../src/notify/notifier.js';
import { addHuman, auditEventsOf } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { call, DAY, writeDriftPolicies } from './drift-fixtures.js';

describe.each(DATABASES)('the monthly drift notice (%s)', (db) => {
  let t: TestNode;
  let second: TestNode | undefined;
  let policyDir: string;
  let now = Date.UTC(2026, 2, 31, 23, 0);
  const sent: Notification[] = [];
  let drifting: { id: string };
  let tidy: { id: string };

  beforeAll(async () => {
    policyDir = await writeDriftPolicies();
    t = await startTestNode(db, { policyDir, clock: () => now });
    // On PostgreSQL a second node shares the database: the notice must still go out once.
    if (db === 'postgres')
      second = await startTestNode(db, { policyDir, clock: () => now, shared: t.database });
    drifting = await addHuman(t.node, ['owner']);
    tidy = await addHuman(t.node, ['owner']);
    await seedAgent(t.node, { roles: ['drifter'], ownerId: drifting.id });
    // An agent of role `other` holds no rule of the bundle: nothing to tell its owner.
    const quiet = await seedAgent(t.node, { roles: ['other'], ownerId: tidy.id });
    await call(t.node, quiet.key, 'files.read');
  }, 60_000);

  afterAll(async () => {
    await second?.close();
    await t?.close();
    await rm(policyDir, { recursive: true, force: true });
  });

  const depsOf = (node: TestNode): DriftNoticeDeps => ({
    storage: node.node.storage,
    audit: node.node.audit,
    drift: new DriftService({
      storage: node.node.storage,
      registry: node.node.registry,
      mcpTools: (tenantId) => node.node.mcp.deps.pool.tools(tenantId),
      clock: () => now,
    }),
    notifier: { notify: async (n) => void sent.push(n) },
    log: node.node.app.log,
    clock: () => now,
  });

  it('tells each owner with unused permissions once a month, however many nodes run it', async () => {
    const passes = await Promise.all([
      sendMonthlyNotices(depsOf(t)),
      sendMonthlyNotices(depsOf(second ?? t)),
    ]);
    expect(passes[0] + passes[1]).toBe(1);
    expect(sent.map((n) => [n.type, n.recipient.humanId])).toEqual([['drift.notice', drifting.id]]);
    expect(sent[0]?.summary).toContain('3 permission(s) of your 1 agent(s) went unused in the last 30 days');
    expect(sent[0]?.data.period).toBe('2026-03');
    // Later the same month: nothing more.
    now += 30 * 60_000;
    expect(await sendMonthlyNotices(depsOf(t))).toBe(0);
    expect(sent).toHaveLength(1);
    // The next month (UTC) sends again.
    now += DAY;
    expect(await sendMonthlyNotices(depsOf(second ?? t))).toBe(1);
    expect(sent.map((n) => n.data.period)).toEqual(['2026-03', '2026-04']);
    const events = await auditEventsOf(t.node, t.node.bootstrap.tenant.id);
    expect(events.filter((e) => e.type === 'drift.notice').map((e) => e.payload?.period)).toEqual([
      '2026-03',
      '2026-04',
    ]);
  });
});
