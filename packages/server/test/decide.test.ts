import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant } from '../src/tenants/tenant-service.js';
import { auditEventsOf } from './helpers/api.js';
import { bearer, seedAgent } from './helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from './helpers/test-node.js';

describe.each(DATABASES)('POST /v1/decide (%s)', (db) => {
  let t: TestNode;
  let support: Awaited<ReturnType<typeof seedAgent>>;
  const decide = (key: string | undefined, payload: unknown) =>
    t.node.app.inject({
      method: 'POST',
      url: '/v1/decide',
      headers: key ? bearer(key) : {},
      payload: payload as object,
    });

  beforeAll(async () => {
    t = await startTestNode(db);
    support = await seedAgent(t.node, { roles: ['support-assistant'] });
  });
  afterAll(() => t.close());

  async function auditEventsFor(subjectId: string) {
    return auditEventsOf(t.node, subjectId);
  }

  it('allows a granted call, answers the full decision, and audits it exactly once', async () => {
    const res = await decide(support.key, { tool: 'kb.articles.search', args: { query: 'refund policy' } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      effect: 'allow',
      code: 'rule',
      decidingRule: 'support-read-kb-and-tickets',
      decidingAgent: support.agent.id,
      agentId: support.agent.id,
      policyVersion: t.node.registry.versionOf(t.node.bootstrap.tenant.id),
      approval: null,
      taskId: null,
    });
    expect(body.decisionId).toMatch(/^dec_/);
    expect(body.evaluationMicros).toBeGreaterThanOrEqual(0);
    const events = await auditEventsFor(body.decisionId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'decision.allow',
      subject: { type: 'decision', id: body.decisionId },
      tool: 'kb.articles.search',
      effect: 'allow',
    });
    expect(events[0]?.payload).toMatchObject({ args: { query: 'refund policy' } });
    expect(events[0]?.actor).toEqual({ type: 'agent', id: support.agent.id });
  });

  it('records when the agent and its key were last used, for the inventory', async () => {
    const agent = await seedAgent(t.node);
    const before = new Date(Date.now() - 1000).toISOString();
    await decide(agent.key, { tool: 'kb.articles.read' });
    await t.node.lastUsed.flush();
    const active = await t.node.app.inject({
      method: 'GET',
      url: `/v1/agents?activeSince=${before}&limit=500`,
      headers: bearer(t.adminToken),
    });
    expect(active.json().agents.map((a: { id: string }) => a.id)).toContain(agent.agent.id);
    const key = await t.node.storage.db
      .selectFrom('agent_keys')
      .select('last_used_at')
      .where('id', '=', agent.keyId)
      .executeTakeFirstOrThrow();
    expect(key.last_used_at).toBeGreaterThan(Date.parse(before));
  });

  it('answers review with the merged approval requirement', async () => {
    const res = await decide(support.key, {
      tool: 'payments.refund',
      args: { amount: 700 },
      context: { initiator: 'usr_x' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ effect: 'review', approval: { timeoutSeconds: expect.any(Number) } });
    expect((await auditEventsFor(res.json().decisionId))[0]?.type).toBe('decision.review');
  });

  it('denies a tool nothing grants, with no_grant', async () => {
    const res = await decide(support.key, { tool: 'prod.database.drop' });
    expect(res.json()).toMatchObject({ effect: 'deny', code: 'no_grant' });
  });

  it('denies unusable arguments as invalid_input instead of failing', async () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++) deep = { nested: deep };
    const res = await decide(support.key, { tool: 'kb.articles.search', args: deep });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ effect: 'deny', code: 'invalid_input' });
  });

  it('records tasks and returns their ordered trace with outcomes to humans', async () => {
    const context = {
      taskId: 'ticket-4711',
      initiator: 'usr_someone',
      onBehalfOf: 'customer-99',
      interface: 'chat',
    };
    const first = (
      await decide(support.key, { tool: 'helpdesk.tickets.read', args: { id: 4711 }, context })
    ).json();
    const second = (
      await decide(support.key, {
        tool: 'payments.refund',
        args: { amount: 20 },
        context: { ...context, reasoning: 'late delivery', model: 'gpt-x' },
      })
    ).json();
    const child = (
      await decide(support.key, {
        tool: 'kb.articles.read',
        context: { taskId: 'ticket-4711.sub', parentTaskId: 'ticket-4711' },
      })
    ).json();
    expect(child.effect).toBe('allow');
    const outcome = await t.node.app.inject({
      method: 'POST',
      url: `/v1/decisions/${second.decisionId}/outcome`,
      headers: bearer(support.key),
      payload: { status: 'succeeded', costUsd: 0.25, records: 1, durationMs: 120 },
    });
    expect(outcome.statusCode).toBe(200);
    expect(outcome.json()).toMatchObject({
      decisionId: second.decisionId,
      status: 'succeeded',
      violation: false,
    });

    const trace = await t.node.app.inject({
      method: 'GET',
      url: '/v1/tasks/ticket-4711/trace',
      headers: bearer(t.adminToken),
    });
    expect(trace.statusCode).toBe(200);
    const body = trace.json();
    expect(body.task).toMatchObject({
      id: 'ticket-4711',
      agentId: support.agent.id,
      initiator: 'usr_someone',
      onBehalfOf: 'customer-99',
      interface: 'chat',
      environment: 'production',
    });
    expect(body.actions.map((a: { decisionId: string }) => a.decisionId)).toEqual([
      first.decisionId,
      second.decisionId,
    ]);
    expect(body.actions[1]).toMatchObject({
      tool: 'payments.refund',
      args: { amount: 20 },
      reasoning: 'late delivery',
      model: 'gpt-x',
      outcome: { status: 'succeeded', costUsd: 0.25, records: 1 },
    });
    expect(body.children).toEqual(['ticket-4711.sub']);

    const events = await auditEventsFor(second.decisionId);
    expect(events.map((e) => e.type)).toEqual(['decision.allow', 'decision.outcome']);
    const usage = await t.node.storage.db
      .selectFrom('agent_usage')
      .selectAll()
      .where('agent_id', '=', support.agent.id)
      .where('span', '=', 'day')
      .execute();
    expect(usage[0]?.cost_usd).toBeCloseTo(0.25);
  });

  it("refuses a second outcome, another agent's decision, and bad ids", async () => {
    const other = await seedAgent(t.node);
    const decided = (await decide(support.key, { tool: 'kb.articles.read' })).json();
    const report = (key: string, id: string, payload: object = { status: 'failed', error: 'timeout' }) =>
      t.node.app.inject({
        method: 'POST',
        url: `/v1/decisions/${id}/outcome`,
        headers: bearer(key),
        payload,
      });
    expect((await report(other.key, decided.decisionId)).statusCode).toBe(404);
    expect((await report(support.key, decided.decisionId)).statusCode).toBe(200);
    const twice = await report(support.key, decided.decisionId);
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.code).toBe('conflict');
    expect((await report(support.key, 'dec_nope')).json().error).toMatchObject({
      code: 'invalid_request',
      details: { field: 'params.id' },
    });
    const bad = await report(support.key, decided.decisionId, { status: 'exploded' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.field).toBe('body.status');
  });

  it('flags a reported success of a denied call as a violation', async () => {
    const denied = (await decide(support.key, { tool: 'prod.database.drop' })).json();
    const res = await t.node.app.inject({
      method: 'POST',
      url: `/v1/decisions/${denied.decisionId}/outcome`,
      headers: bearer(support.key),
      payload: { status: 'succeeded' },
    });
    expect(res.json().violation).toBe(true);
    expect((await auditEventsFor(denied.decisionId)).map((e) => e.type)).toEqual([
      'decision.deny',
      'decision.violation',
    ]);
  });

  it('denies a suspended or pending agent at once, and audits that too', async () => {
    const agent = await seedAgent(t.node);
    expect((await decide(agent.key, { tool: 'kb.articles.read' })).json().effect).toBe('allow');
    await t.node.storage.db
      .updateTable('agents')
      .set({ status: 'suspended' })
      .where('id', '=', agent.agent.id)
      .execute();
    await t.node.signals.publish({
      type: 'agent.changed',
      tenantId: agent.agent.tenantId,
      agentId: agent.agent.id,
    });
    const res = (await decide(agent.key, { tool: 'kb.articles.read' })).json();
    expect(res).toMatchObject({ effect: 'deny', code: 'agent_suspended' });
    expect(await auditEventsFor(res.decisionId)).toHaveLength(1);
    const pending = await seedAgent(t.node, { status: 'pending' });
    expect((await decide(pending.key, { tool: 'kb.articles.read' })).json()).toMatchObject({
      effect: 'deny',
      code: 'agent_pending',
    });
  });

  it('decides a proven delegated call strictest-wins and refuses unknown delegators', async () => {
    const orchestrator = await seedAgent(t.node, { roles: ['code-review-bot'] });
    const grant = await t.node.app.inject({
      method: 'POST',
      url: '/v1/delegations',
      headers: bearer(orchestrator.key),
      payload: { delegateId: support.agent.id, tools: ['kb.*'] },
    });
    expect(grant.statusCode).toBe(201);
    const res = (
      await decide(support.key, {
        tool: 'kb.articles.read',
        delegation: [{ agentId: orchestrator.agent.id, grant: grant.json().id }],
      })
    ).json();
    expect(res).toMatchObject({ effect: 'deny', decidingAgent: orchestrator.agent.id });
    expect(res.delegation).toHaveLength(2);
    const unknown = await decide(support.key, {
      tool: 'kb.articles.read',
      delegation: ['agt_00000000000000000000000000'],
    });
    expect(unknown.statusCode).toBe(403);
    expect(unknown.json().error.details.field).toBe('body.delegation[0]');
  });

  it('needs the environment when the agent works in several, and only one of its own', async () => {
    const multi = await seedAgent(t.node, { environments: ['staging', 'production'] });
    const missing = await decide(multi.key, { tool: 'kb.articles.read' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.details.field).toBe('body.context.environment');
    expect(
      (await decide(multi.key, { tool: 'kb.articles.read', context: { environment: 'staging' } })).statusCode,
    ).toBe(200);
    expect(
      (await decide(multi.key, { tool: 'kb.articles.read', context: { environment: 'sandbox' } })).statusCode,
    ).toBe(400);
  });

  it("keeps one agent out of another agent's task", async () => {
    const other = await seedAgent(t.node);
    await decide(support.key, { tool: 'kb.articles.read', context: { taskId: 'owned-task' } });
    const res = await decide(other.key, { tool: 'kb.articles.read', context: { taskId: 'owned-task' } });
    expect(res.statusCode).toBe(409);
  });

  it('rejects malformed requests with 4xx naming the field, never a 500', async () => {
    const cases: [unknown, number, string?][] = [
      [{}, 400, 'body.tool'],
      [{ tool: 42 }, 400, 'body.tool'],
      [{ tool: 'kb.articles.read', surprise: true }, 400, 'body.surprise'],
      [{ tool: 'kb.articles.read', args: [1, 2] }, 400, 'body.args'],
      [{ tool: 'kb.articles.read', context: { taskId: 'has spaces' } }, 400, 'body.context.taskId'],
      [{ tool: 'kb.articles.read', context: { extra: 1 } }, 400, 'body.context.extra'],
    ];
    for (const [payload, status, field] of cases) {
      const res = await decide(support.key, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      expect(res.json().error.details.field, JSON.stringify(payload)).toBe(field);
    }
    const malformed = await t.node.app.inject({
      method: 'POST',
      url: '/v1/decide',
      headers: { ...bearer(support.key), 'content-type': 'application/json' },
      payload: '{"tool": ',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe('invalid_request');
    const poisoned = await t.node.app.inject({
      method: 'POST',
      url: '/v1/decide',
      headers: { ...bearer(support.key), 'content-type': 'application/json' },
      payload: '{"tool":"kb.articles.read","args":{"__proto__":{"admin":true}}}',
    });
    expect(poisoned.statusCode).toBe(400);
    const huge = await t.node.app.inject({
      method: 'POST',
      url: '/v1/decide',
      headers: { ...bearer(support.key), 'content-type': 'application/json' },
      payload: JSON.stringify({ tool: 'kb.articles.read', args: { blob: 'x'.repeat(1024 * 1024) } }),
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.code).toBe('payload_too_large');
    const text = await t.node.app.inject({
      method: 'POST',
      url: '/v1/decide',
      headers: { ...bearer(support.key), 'content-type': 'text/plain' },
      payload: 'tool=kb',
    });
    expect(text.statusCode).toBe(415);
  });

  describe('security', () => {
    it('needs a credential', async () => {
      const res = await decide(undefined, { tool: 'kb.articles.read' });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('unauthenticated');
      const garbage = await t.node.app.inject({
        method: 'POST',
        url: '/v1/decide',
        headers: bearer('wdn_a_short'),
        payload: { tool: 'x' },
      });
      expect(garbage.statusCode).toBe(401);
    });

    it('refuses a human token on the decide route and an agent key on human routes', async () => {
      const asHuman = await decide(t.adminToken, { tool: 'kb.articles.read' });
      expect(asHuman.statusCode).toBe(403);
      for (const url of [
        '/v1/tasks/ticket-4711/trace',
        '/v1/policies',
        `/v1/decisions/dec_00000000000000000000000000`,
      ]) {
        const res = await t.node.app.inject({ method: 'GET', url, headers: bearer(support.key) });
        expect(res.statusCode, url).toBe(403);
      }
    });

    it('refuses revoked and expired keys', async () => {
      const revoked = await seedAgent(t.node);
      expect((await decide(revoked.key, { tool: 'kb.articles.read' })).statusCode).toBe(200);
      const row = await t.node.storage.db
        .updateTable('agent_keys')
        .set({ revoked_at: Date.now() - 1 })
        .where('id', '=', revoked.keyId)
        .returning('hash')
        .executeTakeFirstOrThrow();
      await t.node.signals.publish({
        type: 'credential.revoked',
        tenantId: revoked.agent.tenantId,
        hashes: [row.hash],
      });
      expect((await decide(revoked.key, { tool: 'kb.articles.read' })).statusCode).toBe(401);
      const expired = await seedAgent(t.node, { keyExpiresAt: Date.now() - 1000 });
      expect((await decide(expired.key, { tool: 'kb.articles.read' })).statusCode).toBe(401);
    });

    it('keeps tenants apart', async () => {
      const other = await createTenant(t.node.storage, t.node.audit, {
        slug: `other-${db}`,
        name: 'Other',
        adminEmail: 'admin@other.example',
      });
      if (!other) throw new Error('tenant not created');
      const foreign = await seedAgent(t.node, { tenantId: other.tenant.id, ownerId: other.adminId });
      // The other tenant has no policies: zero access by default.
      expect((await decide(foreign.key, { tool: 'kb.articles.read' })).json()).toMatchObject({
        effect: 'deny',
        code: 'no_policy',
      });
      // It cannot name our agents as delegators, and its admin cannot read our traces or decisions.
      const delegated = await decide(foreign.key, {
        tool: 'kb.articles.read',
        delegation: [support.agent.id],
      });
      expect(delegated.statusCode).toBe(403);
      const ours = (
        await decide(support.key, { tool: 'kb.articles.read', context: { taskId: 'tenant-a-task' } })
      ).json();
      const token = other.adminToken.secret;
      expect(
        (
          await t.node.app.inject({
            method: 'GET',
            url: '/v1/tasks/tenant-a-task/trace',
            headers: bearer(token),
          })
        ).statusCode,
      ).toBe(404);
      expect(
        (
          await t.node.app.inject({
            method: 'GET',
            url: `/v1/decisions/${ours.decisionId}`,
            headers: bearer(token),
          })
        ).statusCode,
      ).toBe(404);
      // Nor can its agent report an outcome for our decision.
      const report = await t.node.app.inject({
        method: 'POST',
        url: `/v1/decisions/${ours.decisionId}/outcome`,
        headers: bearer(foreign.key),
        payload: { status: 'failed' },
      });
      expect(report.statusCode).toBe(404);
    });
  });

  it('answers governance_unavailable (503, deny) when storage fails, never allow', async () => {
    const lines: { level: number; msg: string; err?: unknown; agentId?: string }[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const local = await startTestNode(db, { logger: pino({ level: 'error' }, stream) });
    try {
      const agent = await seedAgent(local.node);
      expect(
        (
          await local.node.app.inject({
            method: 'POST',
            url: '/v1/decide',
            headers: bearer(agent.key),
            payload: { tool: 'kb.articles.read' },
          })
        ).statusCode,
      ).toBe(200);
      await local.node.storage.db.destroy();
      const res = await local.node.app.inject({
        method: 'POST',
        url: '/v1/decide',
        headers: bearer(agent.key),
        payload: { tool: 'kb.articles.read' },
      });
      expect(res.statusCode).toBe(503);
      expect(res.json().error).toMatchObject({ code: 'governance_unavailable', details: { effect: 'deny' } });
      // The cause is logged: a 503 without a log line would hide what failed.
      expect(lines).toContainEqual(
        expect.objectContaining({ msg: 'decide failed', agentId: agent.agent.id, err: expect.anything() }),
      );
    } finally {
      await local.close().catch(() => {});
    }
  });
});
