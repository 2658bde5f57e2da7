import { afterEach, describe, expect, it } from 'vitest';
import { FOLD_GRACE_MS } from '../../src/anomaly/anomaly-monitor.js';
import { foldHours, HOUR_MS, type HourValues } from '../../src/anomaly/ewma.js';
import { RecordingNotifier } from '../approvals/approvals-fixtures.js';
import { addHuman } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { addUsage, baselineRow, eventsOf, HourClock, monitorOn } from './anomaly-fixtures.js';

const MINUTE = 60_000;

describe.each(DATABASES)('anomaly monitor (%s)', (kind) => {
  const nodes: TestNode[] = [];
  afterEach(async () => {
    // Nodes sharing a database close before the one that owns (and drops) it.
    for (const node of nodes.reverse()) await node.close();
    nodes.length = 0;
  });

  async function setup() {
    const clock = new HourClock();
    const notifier = new RecordingNotifier();
    const t = await startTestNode(kind, { clock: clock.now, notifier });
    nodes.push(t);
    const owner = await addHuman(t.node, ['owner']);
    const security = await addHuman(t.node, ['security']);
    await addHuman(t.node, ['approver']);
    const newAgent = async () => (await seedAgent(t.node, { ownerId: owner.id })).agent;
    return { clock, notifier, t, owner, security, newAgent };
  }

  /** Four steady hours (-5 to -2) and a quiet one (-1) before the clock's hour. */
  async function steadyHistory(
    t: TestNode,
    agent: { id: string; tenantId: string },
    clock: HourClock,
    values: Partial<HourValues>,
  ) {
    for (let h = -5; h <= -2; h++) await addUsage(t.node, agent, clock.hour(h) + 10 * MINUTE, values);
  }

  it('folds each completed hour exactly once, quiet hours as zero, and waits a grace period', async () => {
    const { clock, notifier, t, newAgent } = await setup();
    const agent = await newAgent();
    await steadyHistory(t, agent, clock, { calls: 10, records: 20, costUsd: 1 });
    const monitor = monitorOn(t.node, clock.now, notifier);
    await monitor.run();
    const first = await baselineRow(t.node, agent.id);
    expect(first).toMatchObject({ samples: 5, folded_hour: clock.hour(-1), alerted_hour: null });
    expect(first?.calls_ewma).toBeCloseTo(8, 9);
    expect(first?.records_ewma).toBeCloseTo(16, 9);
    expect(first?.cost_ewma).toBeCloseTo(0.8, 9);

    await monitor.run();
    await monitor.run();
    expect((await baselineRow(t.node, agent.id))?.version).toBe(first?.version);

    // The hour has ended but the grace period has not: it is not folded yet.
    const hour = clock.hour(0);
    clock.set(hour + HOUR_MS + FOLD_GRACE_MS / 2);
    await monitor.run();
    expect((await baselineRow(t.node, agent.id))?.version).toBe(first?.version);

    clock.set(hour + HOUR_MS + 2 * MINUTE);
    await monitor.run();
    await monitor.run();
    const second = await baselineRow(t.node, agent.id);
    expect(second).toMatchObject({ samples: 6, folded_hour: hour, version: (first?.version ?? 0) + 1 });
    expect(second?.records_ewma).toBeCloseTo(12.8, 9);
    await monitor.stop();
    expect(notifier.sent.filter((n) => n.type === 'agent.anomaly')).toEqual([]);
  });

  it('alerts once when an hour has 10× the records, from its open hour to its fold', async () => {
    const { clock, notifier, t, owner, security, newAgent } = await setup();
    const agent = await newAgent();
    await steadyHistory(t, agent, clock, { calls: 10, records: 20, costUsd: 1 });
    const monitor = monitorOn(t.node, clock.now, notifier);
    await monitor.run();
    const hour = clock.hour(0);
    await addUsage(t.node, agent, clock.now(), { calls: 12, records: 200 });
    await monitor.run();
    await monitor.run();
    let events = await eventsOf(t.node, agent.id, 'agent.anomaly');
    expect(events).toHaveLength(1);
    expect(events[0]?.actor).toEqual({ type: 'system', id: 'anomaly-monitor' });
    expect(events[0]?.payload).toEqual({
      metric: 'records',
      value: 200,
      baseline: 16,
      factor: 10,
      floor: 100,
      hour: new Date(hour).toISOString(),
      complete: false,
    });
    // More records in the same hour, the hour ending, and its fold: still announced once.
    await addUsage(t.node, agent, clock.now() + MINUTE, { records: 100 });
    clock.set(hour + HOUR_MS + 2 * MINUTE);
    await monitor.run();
    await monitor.run();
    events = await eventsOf(t.node, agent.id, 'agent.anomaly');
    expect(events).toHaveLength(1);
    expect(await baselineRow(t.node, agent.id)).toMatchObject({
      folded_hour: hour,
      alerted_hour: hour,
      alerted: '["records"]',
    });
    const sent = notifier.sent.filter((n) => n.type === 'agent.anomaly' && n.subject.id === agent.id);
    expect(sent.map((n) => n.recipient.humanId).sort()).toEqual([owner.id, security.id].sort());
    expect(sent[0]).toMatchObject({
      tenantId: agent.tenantId,
      data: { metric: 'records', value: 200, factor: 10, hour: new Date(hour).toISOString() },
    });
    expect(sent[0]?.summary).toContain(agent.name);
    await monitor.stop();
  });

  it('alerts on cost over 1.5× its baseline, not below it, and on a spike seen only when its hour is folded', async () => {
    const { clock, notifier, t, newAgent } = await setup();
    const [spender, frugal, late] = [await newAgent(), await newAgent(), await newAgent()];
    for (const agent of [spender, frugal, late]) {
      await steadyHistory(t, agent, clock, { calls: 10, records: 20, costUsd: 2 });
    }
    // `late` had its spike in the last completed hour: nobody swept while it was open.
    await addUsage(t.node, late, clock.hour(-1) + 30 * MINUTE, { records: 500 });
    const monitor = monitorOn(t.node, clock.now, notifier);
    await monitor.run();
    const lateEvents = await eventsOf(t.node, late.id, 'agent.anomaly');
    expect(lateEvents.map((e) => e.payload)).toEqual([
      expect.objectContaining({ metric: 'records', value: 500, baseline: 20, complete: true }),
    ]);

    // Cost baselines are now 1.6 per hour (four hours of 2, one quiet hour): the threshold is 2.4.
    await addUsage(t.node, spender, clock.now(), { costUsd: 2.5 });
    await addUsage(t.node, frugal, clock.now(), { costUsd: 2.3, records: 159, calls: 79 });
    await monitor.run();
    const costEvents = await eventsOf(t.node, spender.id, 'agent.anomaly');
    expect(costEvents.map((e) => e.payload)).toEqual([
      expect.objectContaining({ metric: 'cost', value: 2.5, baseline: 1.6, factor: 1.5 }),
    ]);
    expect(await eventsOf(t.node, frugal.id, 'agent.anomaly')).toEqual([]);
    await monitor.stop();
  });

  it('does not alert before the baseline has the minimum samples, nor below the floor', async () => {
    const { clock, notifier, t, newAgent } = await setup();
    const young = await newAgent();
    const quiet = await newAgent();
    await addUsage(t.node, young, clock.hour(-2), { records: 1 });
    for (let h = -5; h <= -1; h++) await addUsage(t.node, quiet, clock.hour(h), { records: 1, calls: 1 });
    const monitor = monitorOn(t.node, clock.now, notifier);
    await monitor.run();
    expect((await baselineRow(t.node, young.id))?.samples).toBe(2);
    await addUsage(t.node, young, clock.now(), { records: 5000 });
    // 99 records is 99× the quiet agent's baseline, but below the floor of 100.
    await addUsage(t.node, quiet, clock.now(), { records: 99, calls: 99 });
    await monitor.run();
    expect(await eventsOf(t.node, young.id, 'agent.anomaly')).toEqual([]);
    expect(await eventsOf(t.node, quiet.id, 'agent.anomaly')).toEqual([]);
    await monitor.stop();
  });

  it('folds each hour once and alerts once with several monitors sweeping concurrently', async () => {
    const { clock, notifier, t, newAgent } = await setup();
    // PostgreSQL: two nodes (two connection pools) on one database; SQLite is single-node.
    const other =
      kind === 'postgres'
        ? await startTestNode(kind, { clock: clock.now, notifier, shared: t.database })
        : undefined;
    if (other) nodes.push(other);
    const spiky = await newAgent();
    const agents = [spiky, await newAgent(), await newAgent()];
    const start = clock.hour(-6);
    const hourly = (i: number, h: number): HourValues => ({
      calls: 10 + ((i + h) % 3),
      records: 20 + h,
      costUsd: 1 + i / 10,
    });
    for (const [i, agent] of agents.entries()) {
      for (let h = 0; h < 6; h++) await addUsage(t.node, agent, start + h * HOUR_MS, hourly(i, h));
    }
    const monitors = [
      monitorOn(t.node, clock.now, notifier),
      monitorOn(t.node, clock.now, notifier),
      monitorOn((other ?? t).node, clock.now, notifier),
      monitorOn((other ?? t).node, clock.now, notifier),
    ];
    const spikeHour = clock.hour(1);
    for (let step = 0; step < 4; step++) {
      clock.set(clock.hour(step === 0 ? 0 : 1) + 2 * MINUTE);
      if (clock.hour(0) === spikeHour) await addUsage(t.node, spiky, clock.now(), { records: 1000 });
      for (let round = 0; round < 3; round++) await Promise.all(monitors.map((m) => m.run()));
    }
    const through = clock.hour(-1);
    const hours = (through - start) / HOUR_MS + 1;
    for (const [i, agent] of agents.entries()) {
      const values = Array.from({ length: hours }, (_, h) =>
        h < 6
          ? hourly(i, h)
          : start + h * HOUR_MS === spikeHour && i === 0
            ? { calls: 0, records: 1000, costUsd: 0 }
            : null,
      );
      const expected = foldHours(null, values, t.node.config.anomalyEwmaAlpha);
      const row = await baselineRow(t.node, agent.id);
      expect(row?.samples).toBe(hours);
      expect(row?.samples).toBe(expected?.samples);
      expect(row?.folded_hour).toBe(through);
      expect(row?.records_ewma).toBeCloseTo(expected?.records ?? Number.NaN, 9);
      expect(row?.calls_ewma).toBeCloseTo(expected?.calls ?? Number.NaN, 9);
      expect(row?.cost_ewma).toBeCloseTo(expected?.cost ?? Number.NaN, 9);
    }
    const spikes = await eventsOf(t.node, spiky.id, 'agent.anomaly');
    expect(spikes.map((e) => e.payload?.metric)).toEqual(['records']);
    expect(notifier.sent.filter((n) => n.type === 'agent.anomaly')).toHaveLength(2);
    await Promise.all(monitors.map((m) => m.stop()));
  });
});
