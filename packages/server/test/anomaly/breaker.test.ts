import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CircuitBreaker } from '../../src/anomaly/circuit-breaker.js';
import { DEFAULT_CRITERIA } from '../../src/trust/criteria.js';
import { RecordingNotifier } from '../approvals/approvals-fixtures.js';
import { addHuman, createOtherTenant, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { addUsage, breakerOn, eventsOf, HourClock, monitorOn } from './anomaly-fixtures.js';

const MINUTE = 60_000;

describe.each(DATABASES)('circuit breaker (%s)', (kind) => {
  const clock = new HourClock();
  const notifier = new RecordingNotifier();
  let t: TestNode;
  let breaker: CircuitBreaker;
  let owner: { id: string; token: string };
  let security: { id: string; token: string };
  let viewer: { id: string; token: string };
  let other: { adminToken: string };
  const agents: Record<string, Awaited<ReturnType<typeof seedAgent>>> = {};

  /** An agent whose cost baseline is `costPerHour` over four completed hours. */
  async function tracked(name: string, costPerHour: number | null, hours = 4) {
    const seeded = await seedAgent(t.node, { ownerId: owner.id, name });
    if (costPerHour !== null) {
      for (let h = -hours; h <= -1; h++) {
        await addUsage(t.node, seeded.agent, clock.hour(h) + 10 * MINUTE, { calls: 5, costUsd: costPerHour });
      }
    }
    agents[name] = seeded;
  }

  const agent = (name: string) => {
    const found = agents[name];
    if (!found) throw new Error(`no agent ${name}`);
    return found;
  };

  async function decide(name: string) {
    const res = await request(t.node, 'POST', '/v1/decide', agent(name).key, {
      tool: 'kb.articles.search',
      args: { query: 'refund policy' },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { decisionId: string; effect: string; code: string };
  }

  /** A granted call whose outcome reports `costUsd`, then the check the outcome service runs. */
  async function spend(name: string, costUsd: number) {
    const decision = await decide(name);
    expect(decision.effect).toBe('allow');
    const res = await request(
      t.node,
      'POST',
      `/v1/decisions/${decision.decisionId}/outcome`,
      agent(name).key,
      {
        status: 'succeeded',
        costUsd,
      },
    );
    expect(res.statusCode, res.body).toBe(200);
    await breaker.afterSpend(agent(name).agent.tenantId, agent(name).agent.id, clock.now());
  }

  const breakerOf = async (name: string) =>
    (
      await t.node.storage.db
        .selectFrom('agents')
        .select(['breaker_tripped_at', 'breaker_reason'])
        .where('id', '=', agent(name).agent.id)
        .executeTakeFirstOrThrow()
    ).breaker_tripped_at;

  const reset = (name: string, token: string | undefined, body?: object) =>
    request(t.node, 'POST', `/v1/agents/${agent(name).agent.id}/breaker/reset`, token, body);

  beforeAll(async () => {
    t = await startTestNode(kind, { clock: clock.now, notifier });
    breaker = breakerOn(t.node, clock.now, notifier);
    owner = await addHuman(t.node, ['owner']);
    security = await addHuman(t.node, ['security']);
    viewer = await addHuman(t.node, ['viewer', 'approver']);
    other = await createOtherTenant(t.node);
    // The breaker alone here: the demotion a trip causes is tested in trust/demotion.test.ts.
    const off = { ...DEFAULT_CRITERIA, demotion: 'off' };
    expect((await request(t.node, 'PUT', '/v1/trust/criteria', t.adminToken, off)).statusCode).toBe(200);
    await tracked('burst', 1);
    await tracked('below-min', 1);
    await tracked('big-baseline', 10);
    await tracked('untracked', null);
    await tracked('young', 1, 2);
    await tracked('reset-me', 1);
    const monitor = monitorOn(t.node, clock.now, notifier);
    await monitor.run();
    await monitor.stop();
  });
  afterAll(() => t.close());

  it('trips at k× the cost baseline: decisions are denied circuit_open, audited with an incident', async () => {
    await spend('burst', 2);
    const { agent: burst } = agent('burst');
    expect(await breakerOf('burst')).toBe(clock.now());
    const decision = await decide('burst');
    expect(decision).toMatchObject({ effect: 'deny', code: 'circuit_open' });

    const shown = await request(t.node, 'GET', `/v1/agents/${burst.id}`, t.adminToken);
    expect(shown.json().agent.breaker).toEqual({
      trippedAt: new Date(clock.now()).toISOString(),
      reason: expect.stringContaining('exceeds 5× the baseline of $1.00/h'),
    });

    const trips = await eventsOf(t.node, burst.id, 'agent.breaker_trip');
    expect(trips).toHaveLength(1);
    expect(trips[0]?.actor).toEqual({ type: 'system', id: 'circuit-breaker' });
    expect(trips[0]?.payload).toMatchObject({
      windowSeconds: 300,
      windowSpendUsd: 2,
      hourlyRateUsd: 24,
      baselineUsdPerHour: 1,
      factor: 5,
      minUsd: 1,
    });
    const incident = await t.node.storage.db
      .selectFrom('incidents')
      .selectAll()
      .where('agent_id', '=', burst.id)
      .executeTakeFirstOrThrow();
    expect(incident.kind).toBe('circuit_breaker');
    expect(trips[0]?.payload?.incidentId).toBe(incident.id);
    expect(JSON.parse(incident.detail)).toMatchObject({ accountable: { agent: burst.id, owner: owner.id } });

    // Checking again (another outcome, another node) changes nothing: the breaker is already open.
    await breaker.afterSpend(burst.tenantId, burst.id, clock.now());
    expect(await eventsOf(t.node, burst.id, 'agent.breaker_trip')).toHaveLength(1);
    const told = notifier.sent.filter((n) => n.type === 'agent.breaker_trip' && n.subject.id === burst.id);
    expect(told.map((n) => n.recipient.humanId).sort()).toEqual([owner.id, security.id].sort());
  });

  it('does not trip below the minimum spend, within k× the baseline, or without a baseline', async () => {
    await spend('below-min', 0.9);
    await spend('big-baseline', 2);
    await spend('untracked', 5);
    await spend('young', 5);
    for (const name of ['below-min', 'big-baseline', 'untracked', 'young']) {
      expect(await breakerOf(name)).toBeNull();
      expect((await decide(name)).effect).toBe('allow');
    }
  });

  it('is reset only by an admin, security or the owner, once, and then decisions are allowed again', async () => {
    await spend('reset-me', 3);
    const { agent: target } = agent('reset-me');
    expect(await breakerOf('reset-me')).not.toBeNull();
    clock.set(clock.now() + 30_000);

    expect((await reset('reset-me', undefined, {})).statusCode).toBe(401);
    const byAgent = await reset('reset-me', agent('reset-me').key, {});
    expect(byAgent.statusCode).toBe(403);
    const byViewer = await reset('reset-me', viewer.token, {});
    expect(byViewer.statusCode).toBe(403);
    expect(byViewer.json().error.code).toBe('forbidden');
    expect((await reset('reset-me', other.adminToken, {})).statusCode).toBe(404);
    const empty = await reset('reset-me', owner.token, { comment: '' });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.details.field).toBe('body.comment');
    const unknown = await reset('reset-me', owner.token, { note: 'x' });
    expect(unknown.json().error.details.field).toBe('body.note');
    const badId = await request(t.node, 'POST', '/v1/agents/agt_nope/breaker/reset', owner.token, {});
    expect(badId.statusCode).toBe(400);
    expect(badId.json().error.details.field).toBe('params.id');
    expect(await breakerOf('reset-me')).not.toBeNull();
    expect(await eventsOf(t.node, target.id, 'agent.breaker_reset')).toEqual([]);

    const done = await reset('reset-me', owner.token, { comment: 'batch job, expected' });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json().agent).toMatchObject({ id: target.id, breaker: null });
    expect((await decide('reset-me')).effect).toBe('allow');
    const resets = await eventsOf(t.node, target.id, 'agent.breaker_reset');
    expect(resets).toHaveLength(1);
    expect(resets[0]?.actor).toEqual({ type: 'human', id: owner.id });
    expect(resets[0]?.payload).toMatchObject({ comment: 'batch job, expected' });
    // Security hears that the owner reset it; the owner, who did it, is not told.
    const told = notifier.sent.filter((n) => n.type === 'agent.breaker_reset' && n.subject.id === target.id);
    expect(told.map((n) => n.recipient.humanId)).toEqual([security.id]);
    expect(told[0]?.summary).toContain('batch job, expected');

    const again = await reset('reset-me', owner.token);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('conflict');

    // The burst that tripped it is still in the window, but it was reset: only new spend counts.
    await breaker.afterSpend(target.tenantId, target.id, clock.now());
    expect(await breakerOf('reset-me')).toBeNull();
    clock.set(clock.now() + 2 * MINUTE);
    await spend('reset-me', 2);
    expect(await breakerOf('reset-me')).toBe(clock.now());
    const bySecurity = await reset('reset-me', security.token);
    expect(bySecurity.statusCode, bySecurity.body).toBe(200);
    expect(await eventsOf(t.node, target.id, 'agent.breaker_trip')).toHaveLength(2);
  });

  it("shows an agent's baselines and running hour to any human of its tenant", async () => {
    const { agent: bigBaseline } = agent('big-baseline');
    const url = `/v1/agents/${bigBaseline.id}/baselines`;
    const res = await request(t.node, 'GET', url, viewer.token);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      agentId: bigBaseline.id,
      baseline: { samples: 4, foldedHour: new Date(clock.hour(-1)).toISOString() },
      ready: true,
      currentHour: { hour: new Date(clock.hour(0)).toISOString(), calls: 2, costUsd: 2 },
      thresholds: {
        calls: { factor: 10, floor: 100 },
        records: { factor: 10, floor: 100 },
        cost: { factor: 1.5, floor: 1 },
      },
      breaker: null,
    });
    expect(body.baseline.costUsdPerHour).toBeCloseTo(10, 9);
    expect(body.baseline.callsPerHour).toBeCloseTo(5, 9);

    const fresh = await request(
      t.node,
      'GET',
      `/v1/agents/${agent('untracked').agent.id}/baselines`,
      viewer.token,
    );
    expect(fresh.json()).toMatchObject({ baseline: null, ready: false });
    expect((await request(t.node, 'GET', url)).statusCode).toBe(401);
    expect((await request(t.node, 'GET', url, agent('big-baseline').key)).statusCode).toBe(403);
    expect((await request(t.node, 'GET', url, other.adminToken)).statusCode).toBe(404);
    const badId = await request(t.node, 'GET', '/v1/agents/nope/baselines', viewer.token);
    expect(badId.statusCode).toBe(400);
    expect(badId.json().error.details.field).toBe('params.id');
  });
});
