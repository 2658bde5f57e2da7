import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../helpers/api.js';
import { parseMetrics, sampleValue } from '../helpers/prom-text.js';
import { bearer, seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';

describe.each(DATABASES)('GET /metrics (%s)', (db) => {
  let t: TestNode;
  let support: Awaited<ReturnType<typeof seedAgent>>;
  const decide = (payload: object) =>
    t.node.app.inject({ method: 'POST', url: '/v1/decide', headers: bearer(support.key), payload });
  const scrape = async () => {
    const res = await t.node.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseMetrics(res.body);
  };

  beforeAll(async () => {
    t = await startTestNode(db);
    support = await seedAgent(t.node, { roles: ['support-assistant'] });
  });
  afterAll(() => t.close());

  it('counts decisions, their durations, rate limits, pending approvals, budgets and the audit log exactly', async () => {
    const budget = await request(t.node, 'POST', '/v1/budgets', t.adminToken, {
      name: 'daily',
      scope: 'agent',
      agentId: support.agent.id,
      period: 'day',
      unit: 'usd',
      limit: 100,
    });
    expect(budget.statusCode).toBe(201);
    for (let i = 0; i < 3; i++) {
      expect((await decide({ tool: 'kb.articles.search', args: { query: `q${i}` } })).json().effect).toBe(
        'allow',
      );
    }
    for (let i = 0; i < 2; i++) {
      expect((await decide({ tool: 'github.repos.delete', args: {} })).json()).toMatchObject({
        code: 'no_grant',
      });
    }
    expect((await decide({ tool: 'payments.refund', args: { amount: 600 } })).json().effect).toBe('review');
    // Reserves $5 of the daily budget until an outcome settles it.
    const reserved = await decide({ tool: 'kb.articles.read', args: { id: 'a1' }, estimate: { usd: 5 } });
    expect(reserved.json().effect).toBe('allow');
    const limit = await request(t.node, 'POST', '/v1/rate-limits', t.adminToken, {
      name: 'burst',
      scope: 'agent',
      agentId: support.agent.id,
      maxCalls: 1,
      windowSeconds: 60,
    });
    expect(limit.statusCode).toBe(201);
    expect((await decide({ tool: 'kb.articles.search', args: { query: 'once' } })).json().effect).toBe(
      'allow',
    );
    expect((await decide({ tool: 'kb.articles.search', args: { query: 'twice' } })).json().code).toBe(
      'rate_limited',
    );

    const samples = await scrape();
    const decisions = (effect: string, code: string) =>
      sampleValue(samples, 'warden_decisions_total', { source: 'http', effect, code });
    expect(decisions('allow', 'rule')).toBe(5);
    expect(decisions('deny', 'no_grant')).toBe(2);
    expect(decisions('review', 'rule')).toBe(1);
    expect(decisions('deny', 'rate_limited')).toBe(1);
    expect(sampleValue(samples, 'warden_decide_duration_seconds_count', { source: 'http' })).toBe(9);
    expect(sampleValue(samples, 'warden_rate_limited_total', { source: 'http' })).toBe(1);
    expect(sampleValue(samples, 'warden_approvals_pending', { tenant: 'default' })).toBe(1);
    expect(
      sampleValue(samples, 'warden_budget_reserved', { tenant: 'default', scope: 'agent', unit: 'usd' }),
    ).toBe(5);
    expect(
      sampleValue(samples, 'warden_budget_spent', { tenant: 'default', scope: 'agent', unit: 'usd' }),
    ).toBe(0);
    expect(sampleValue(samples, 'warden_reservations_held', { tenant: 'default' })).toBe(1);

    const events = await t.node.storage.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('tenant_id', '=', t.node.bootstrap.tenant.id)
      .executeTakeFirstOrThrow();
    expect(sampleValue(samples, 'warden_audit_log_size', { tenant: 'default' })).toBe(Number(events.n));
    expect(sampleValue(samples, 'warden_audit_append_duration_seconds_count')).toBeGreaterThanOrEqual(9);
    // Process metrics, on this node's own registry.
    expect(sampleValue(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sampleValue(samples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('reads the database for its gauges at most once per few seconds, however often it is scraped', async () => {
    const before = await scrape();
    const pending = sampleValue(before, 'warden_approvals_pending', { tenant: 'default' }) ?? 0;
    // Another agent: the first one is rate limited by now.
    const other = await seedAgent(t.node, { roles: ['support-assistant'] });
    const review = await t.node.app.inject({
      method: 'POST',
      url: '/v1/decide',
      headers: bearer(other.key),
      payload: { tool: 'payments.refund', args: { amount: 700 } },
    });
    expect(review.json().effect).toBe('review');
    const after = await scrape();
    // The counter moved at once; the gauge comes from the cached read.
    expect(
      sampleValue(after, 'warden_decisions_total', { source: 'http', effect: 'review', code: 'rule' }),
    ).toBe(
      (sampleValue(before, 'warden_decisions_total', { source: 'http', effect: 'review', code: 'rule' }) ??
        0) + 1,
    );
    expect(sampleValue(after, 'warden_approvals_pending', { tenant: 'default' })).toBe(pending);
  });

  it('serves every metric the example Grafana dashboard queries', async () => {
    const dashboard = await readFile(
      join(import.meta.dirname, '../../../../examples/grafana/warden.json'),
      'utf8',
    );
    const queried = new Set(
      [...dashboard.matchAll(/\b((?:warden|process|nodejs)_[a-z0-9_]+)/g)].map(([name]) =>
        (name as string).replace(/_(bucket|count|sum)$/, ''),
      ),
    );
    const text = (await t.node.app.inject({ method: 'GET', url: '/metrics' })).body;
    const served = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map(([, name]) => name as string));
    expect([...queried].filter((name) => !served.has(name))).toEqual([]);
    expect(queried.size).toBeGreaterThan(15);
  });

  it('labels nothing with ids of agents, tasks or decisions, nor with arguments', async () => {
    await decide({
      tool: 'kb.articles.search',
      args: { query: 'secret-argument' },
      context: { taskId: 'task-xyz' },
    });
    const text = (await t.node.app.inject({ method: 'GET', url: '/metrics' })).body;
    for (const needle of ['secret-argument', 'task-xyz', support.agent.id, 'dec_', 'agt_']) {
      expect(text).not.toContain(needle);
    }
  });
});

describe('metrics access', () => {
  let t: TestNode | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  const get = (remoteAddress: string, token?: string) =>
    t?.node.app.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress,
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });

  it('serves loopback without a token, and refuses anyone else (403) when no token is configured', async () => {
    t = await startTestNode('sqlite');
    expect((await get('127.0.0.1'))?.statusCode).toBe(200);
    expect((await get('::1'))?.statusCode).toBe(200);
    expect((await get('::ffff:127.0.0.1'))?.statusCode).toBe(200);
    const remote = await get('10.1.2.3', 'anything-at-all-here');
    expect(remote?.statusCode).toBe(403);
    expect(remote?.json().error).toMatchObject({ code: 'forbidden' });
  });

  it('needs the metrics token from everyone, loopback included, when one is configured', async () => {
    const token = 'scrape-token-0123456789';
    t = await startTestNode('sqlite', { settings: { metricsToken: token } });
    expect((await get('10.1.2.3', token))?.statusCode).toBe(200);
    expect((await get('127.0.0.1', token))?.statusCode).toBe(200);
    for (const [address, given] of [
      ['127.0.0.1', undefined],
      ['10.1.2.3', undefined],
      ['10.1.2.3', `${token}x`],
      ['10.1.2.3', t.adminToken],
    ] as const) {
      const res = await get(address, given);
      expect(res?.statusCode, `${address} ${given}`).toBe(401);
      expect(res?.json().error).toMatchObject({ code: 'unauthenticated' });
    }
  });

  it('is not served at all when switched off', async () => {
    t = await startTestNode('sqlite', { settings: { metrics: 'off' } });
    expect((await get('127.0.0.1'))?.statusCode).toBe(404);
  });
});
