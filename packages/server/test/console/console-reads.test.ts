import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/ids.js';
import { writeTransaction } from '../../src/storage/database.js';
import { addHuman, createOtherTenant, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';

/**
 * A small bundle covering every answer "what can this agent do" gives: an unconditional allow, a
 * review, an unconditional deny over a broader allow, a conditional allow, a guardrail review on top
 * of an allow, and a tool only a temporary grant opens.
 */
const POLICY = `apiVersion: warden/v1
kind: Policy
metadata:
  name: helper-policy
  description: What the helper agents may do.
  owner: pat.owner@example.com
spec:
  agents:
    roles: [helper]
  rules:
    - id: read-docs
      effect: allow
      tools: [docs.read, docs.search, files.delete]
      reason: Reading the docs is fine.
    - id: send-mail-review
      effect: review
      tools: [mail.send]
      reason: Mail goes out only after a human looks.
      approval:
        approvers: [group:reviewers]
        required: 1
        timeout: 1h
        onTimeout: deny
    - id: refund-small
      effect: allow
      tools: [payments.refund]
      when: args.amount <= 100
      reason: Small refunds are fine.
    - id: no-docs-delete
      effect: deny
      tools: [docs.delete]
      reason: Nobody deletes docs.
    - id: docs-all
      effect: allow
      tools: ['docs.*']
      reason: The docs server is open.
---
apiVersion: warden/v1
kind: Guardrail
metadata:
  name: careful-deletes
  description: Deleting files waits for security.
  owner: sam.security@example.com
spec:
  agents:
    roles: [helper]
  rules:
    - id: delete-review
      effect: review
      tools: [files.delete]
      reason: Deletes wait for security.
      approval:
        approvers: [group:security]
        required: 1
        timeout: 1h
        onTimeout: deny
`;

const HOUR = 3_600_000;

describe.each(DATABASES)('console read APIs (%s)', (kind) => {
  let t: TestNode;
  let policyDir: string;
  let tenantId: string;
  let agentId: string;
  let agentKey: string;
  let owner: { id: string; token: string };
  let approverToken: string;
  let auditorToken: string;
  let securityToken: string;
  let otherAgentId: string;
  let budgetId: string;
  let other: Awaited<ReturnType<typeof createOtherTenant>>;

  const get = (url: string, token: string) => request(t.node, 'GET', url, token);

  beforeAll(async () => {
    policyDir = await mkdtemp(join(tmpdir(), 'warden-console-policies-'));
    await writeFile(join(policyDir, 'helper.yaml'), POLICY);
    t = await startTestNode(kind, { policyDir });
    tenantId = t.node.bootstrap.tenant.id;
    owner = await addHuman(t.node, ['owner']);
    approverToken = (await addHuman(t.node, ['approver'])).token;
    auditorToken = (await addHuman(t.node, ['auditor'])).token;
    securityToken = (await addHuman(t.node, ['security'])).token;
    const seeded = await seedAgent(t.node, { roles: ['helper'], ownerId: owner.id, name: 'helper-one' });
    agentId = seeded.agent.id;
    agentKey = seeded.key;
    // An agent of someone else, with an anomaly of its own.
    otherAgentId = (await seedAgent(t.node, { roles: ['helper'], name: 'helper-two', tier: 'sandbox' })).agent
      .id;
    other = await createOtherTenant(t.node);

    const budget = await request(t.node, 'POST', '/v1/budgets', t.adminToken, {
      name: 'helper-daily',
      scope: 'agent',
      agentId,
      period: 'day',
      unit: 'usd',
      limit: 10,
    });
    expect(budget.statusCode).toBe(201);
    budgetId = budget.json().id;

    // A decision and its outcome through the real routes: one allow today, $1.50 spent.
    const decided = await request(t.node, 'POST', '/v1/decide', agentKey, { tool: 'docs.read', args: {} });
    expect(decided.json().effect).toBe('allow');
    const outcome = await request(
      t.node,
      'POST',
      `/v1/decisions/${decided.json().decisionId}/outcome`,
      agentKey,
      {
        status: 'succeeded',
        costUsd: 1.5,
      },
    );
    expect(outcome.statusCode).toBe(200);
    const denied = await request(t.node, 'POST', '/v1/decide', agentKey, { tool: 'docs.delete', args: {} });
    expect(denied.json().effect).toBe('deny');

    // Anomaly notices as the monitor and the breaker record them, and an incident.
    const now = Date.now();
    await writeTransaction(t.node.storage, async (trx) => {
      await t.node.audit.append(trx, tenantId, [
        {
          type: 'agent.anomaly',
          actor: { type: 'system', id: 'anomaly-monitor' },
          subject: { type: 'agent', id: agentId },
          payload: {
            metric: 'calls',
            value: 420,
            baseline: 60,
            factor: 3,
            floor: 50,
            hour: new Date(now).toISOString(),
            complete: true,
          },
          at: now - HOUR,
        },
        {
          type: 'agent.breaker_trip',
          actor: { type: 'system', id: 'circuit-breaker' },
          subject: { type: 'agent', id: otherAgentId },
          payload: { reason: 'error rate 60% over 20 calls' },
          at: now - 30 * 60_000,
        },
      ]);
      await trx
        .insertInto('incidents')
        .values({
          tenant_id: tenantId,
          id: newId('inc', now),
          kind: 'circuit_breaker',
          agent_id: otherAgentId,
          approval_id: null,
          decision_id: null,
          summary: 'The circuit breaker of agent helper-two tripped',
          detail: '{}',
          created_at: now,
        })
        .execute();
    });
  });

  afterAll(async () => {
    await t?.close();
    await rm(policyDir, { recursive: true, force: true });
  });

  describe('GET /v1/console/overview', () => {
    it('answers an admin every part', async () => {
      const res = await get('/v1/console/overview', t.adminToken);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.agents.byStatus).toMatchObject({ active: 2, suspended: 0, pending: 0, retired: 0 });
      expect(body.agents.byTier).toEqual({ sandbox: 1, monitored: 1, trusted: 0 });
      expect(body.spend.today).toEqual({ usd: 1.5 });
      expect(body.spend.month.usd).toBeGreaterThanOrEqual(1.5);
      expect(body.spend.series).toHaveLength(30);
      expect(body.spend.series.at(-1)).toEqual({ day: new Date().toISOString().slice(0, 10), usd: 1.5 });
      // The helper's budget first: the most used; the default tier budgets follow, unused.
      expect(body.spend.budgets[0]).toEqual({
        id: budgetId,
        name: 'helper-daily',
        scope: 'agent',
        window: 'day',
        limit: 10,
        used: 1.5,
        unit: 'usd',
        percent: 15,
        counter: agentId,
      });
      expect(body.spend.budgets.slice(1).every((b: { used: number }) => b.used === 0)).toBe(true);
      expect(body.decisions24h).toHaveLength(24);
      const counted = body.decisions24h.reduce(
        (sum: { allow: number; deny: number }, h: { allow: number; deny: number }) => ({
          allow: sum.allow + h.allow,
          deny: sum.deny + h.deny,
        }),
        { allow: 0, deny: 0 },
      );
      expect(counted).toEqual({ allow: 1, deny: 1 });
      expect(body.decisions24h.at(-1).allow).toBe(1);
      expect(body.incidents.open).toBe(1);
      expect(body.incidents.recent[0]).toMatchObject({ kind: 'circuit_breaker', agentId: otherAgentId });
      expect(body.waiting).toEqual({ approvals: 0, more: false });
      expect(body.anomalies.map((a: { kind: string; agentId: string }) => [a.kind, a.agentId])).toEqual([
        ['breaker_trip', otherAgentId],
        ['anomaly', agentId],
      ]);
    });

    it('leaves out what the caller may not read', async () => {
      const approver = (await get('/v1/console/overview', approverToken)).json();
      expect(approver.incidents).toBeNull();
      expect(approver.decisions24h).toBeNull();
      expect(approver.anomalies).toEqual([]);
      expect(approver.agents.byStatus.active).toBe(2);

      const auditor = (await get('/v1/console/overview', auditorToken)).json();
      expect(auditor.incidents.open).toBe(1);
      expect(auditor.decisions24h).toHaveLength(24);
      expect(auditor.anomalies).toHaveLength(2);

      // An owner reads the anomalies of their own agents only.
      const mine = (await get('/v1/console/overview', owner.token)).json();
      expect(mine.incidents).toBeNull();
      expect(mine.decisions24h).toBeNull();
      expect(mine.anomalies.map((a: { agentId: string }) => a.agentId)).toEqual([agentId]);
    });

    it('counts approvals waiting for the caller', async () => {
      const reviewer = await addHuman(t.node, ['approver']);
      await writeTransaction(t.node.storage, async (trx) => {
        const groupId = newId('grp');
        await trx
          .insertInto('groups')
          .values({ id: groupId, tenant_id: tenantId, name: 'reviewers', on_call: 0, created_at: Date.now() })
          .execute();
        await trx
          .insertInto('group_members')
          .values({ tenant_id: tenantId, group_id: groupId, human_id: reviewer.id, position: 0 })
          .execute();
      });
      const review = await request(t.node, 'POST', '/v1/decide', agentKey, {
        tool: 'mail.send',
        args: { to: 'x' },
      });
      expect(review.json().effect).toBe('review');
      expect((await get('/v1/console/overview', reviewer.token)).json().waiting).toEqual({
        approvals: 1,
        more: false,
      });
      expect((await get('/v1/console/overview', approverToken)).json().waiting.approvals).toBe(0);
    });

    it('shows another tenant only its own', async () => {
      const body = (await get('/v1/console/overview', other.adminToken)).json();
      expect(body.agents.byStatus.active).toBe(0);
      expect(body.spend.today.usd).toBe(0);
      expect(body.spend.budgets).toEqual([]);
      expect(body.incidents).toEqual({ open: 0, recent: [] });
      expect(body.anomalies).toEqual([]);
    });

    it('refuses no credential and agent keys', async () => {
      expect((await request(t.node, 'GET', '/v1/console/overview')).statusCode).toBe(401);
      expect((await get('/v1/console/overview', agentKey)).statusCode).toBe(403);
    });
  });

  describe('GET /v1/agents/:id/capabilities', () => {
    it('answers allow, review, deny and conditional with the deciding rules and their owners', async () => {
      const res = await get(`/v1/agents/${agentId}/capabilities`, approverToken);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.defaultEffect).toBe('deny');
      expect(body.policyVersion).toBe(t.node.registry.get(tenantId)?.version);
      expect(body.agent.id).toBe(agentId);
      const byTool = Object.fromEntries(body.tools.map((c: { tool: string }) => [c.tool, c]));
      expect(Object.keys(byTool)).toEqual([
        'docs.delete',
        'docs.read',
        'docs.search',
        'files.delete',
        'mail.send',
        'payments.refund',
      ]);
      expect(byTool['docs.read']).toMatchObject({
        effect: 'allow',
        conditional: false,
        via: 'policy',
        grantIds: [],
      });
      expect(byTool['mail.send']).toMatchObject({ effect: 'review', conditional: false });
      expect(byTool['docs.delete']).toMatchObject({ effect: 'deny', conditional: false });
      expect(byTool['docs.delete'].rules.map((r: { rule: string }) => r.rule)).toEqual([
        'no-docs-delete',
        'docs-all',
      ]);
      expect(byTool['payments.refund']).toMatchObject({ effect: 'allow', conditional: true });
      expect(byTool['payments.refund'].rules[0]).toEqual({
        policy: 'helper-policy',
        kind: 'Policy',
        rule: 'refund-small',
        effect: 'allow',
        owner: 'pat.owner@example.com',
        description: 'Small refunds are fine.',
        when: 'args.amount <= 100',
      });
      // A guardrail's review binds over the policy's allow.
      expect(byTool['files.delete']).toMatchObject({ effect: 'review', conditional: false });
      expect(
        byTool['files.delete'].rules.map((r: { rule: string; owner: string }) => [r.rule, r.owner]),
      ).toEqual([
        ['read-docs', 'pat.owner@example.com'],
        ['delete-review', 'sam.security@example.com'],
      ]);
    });

    it('adds a tool a temporary grant opens, and lists the grant', async () => {
      const granted = await seedAgent(t.node, { roles: ['nobody'], name: 'granted-one' });
      const now = Date.now();
      await t.node.storage.db
        .insertInto('access_grants')
        .values({
          tenant_id: tenantId,
          id: 'grt_console_test',
          agent_id: granted.agent.id,
          tools: JSON.stringify(['tickets.export']),
          request_id: 'apr_console_test',
          created_at: now,
          expires_at: now + HOUR,
          revoked_at: null,
        })
        .execute();
      const body = (await get(`/v1/agents/${granted.agent.id}/capabilities`, auditorToken)).json();
      expect(body.grants).toEqual([
        { id: 'grt_console_test', tools: ['tickets.export'], expiresAt: new Date(now + HOUR).toISOString() },
      ]);
      const exported = body.tools.find((c: { tool: string }) => c.tool === 'tickets.export');
      expect(exported).toEqual({
        tool: 'tickets.export',
        effect: 'allow',
        conditional: false,
        via: 'grant',
        grantIds: ['grt_console_test'],
        rules: [],
      });
      // The role no policy selects: every other known tool is denied, by default.
      expect(
        body.tools
          .filter((c: { effect: string }) => c.effect !== 'deny')
          .map((c: { tool: string }) => c.tool),
      ).toEqual(['tickets.export']);
    });

    it('is not found for another tenant and bad ids', async () => {
      expect((await get(`/v1/agents/${agentId}/capabilities`, other.adminToken)).statusCode).toBe(404);
      const bad = await get('/v1/agents/not-an-id/capabilities', t.adminToken);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.details.field).toBe('params.id');
    });
  });

  describe('policy versions', () => {
    it('lists the versions with the active one, and shows one with its rules and files', async () => {
      const first = t.node.registry.get(tenantId)?.version ?? '';
      const changed = await t.node.policies.activate(
        tenantId,
        [{ path: 'helper.yaml', text: POLICY.replace('Reading the docs is fine.', 'Reading is fine.') }],
        { type: 'human', id: owner.id },
      );
      if (!changed.ok) throw new Error(changed.message);
      try {
        const list = (await get('/v1/policies/versions', approverToken)).json();
        expect(list.versions.map((v: { version: string; active: boolean }) => [v.version, v.active])).toEqual(
          [
            [changed.version, true],
            [first, false],
          ],
        );
        expect(list.versions[0]).toMatchObject({ activatedBy: `human:${owner.id}`, ruleCount: 6 });

        const old = await get(`/v1/policies/versions/${first}`, auditorToken);
        expect(old.statusCode).toBe(200);
        const body = old.json();
        expect(body).toMatchObject({ version: first, active: false, ruleCount: 6 });
        expect(body.files).toEqual([{ path: 'helper.yaml', text: POLICY }]);
        expect(body.policies.map((p: { name: string; owner: string }) => [p.name, p.owner])).toEqual([
          ['helper-policy', 'pat.owner@example.com'],
          ['careful-deletes', 'sam.security@example.com'],
        ]);
        expect(body.policies[0].rules[0]).toMatchObject({
          id: 'read-docs',
          effect: 'allow',
          reason: 'Reading the docs is fine.',
        });
      } finally {
        const back = await t.node.policies.activate(tenantId, [{ path: 'helper.yaml', text: POLICY }], {
          type: 'system',
          id: 'test',
        });
        expect(back.ok).toBe(true);
      }
    });

    it('does not show another tenant a version, nor a version that does not exist', async () => {
      const version = t.node.registry.get(tenantId)?.version ?? '';
      expect((await get(`/v1/policies/versions/${version}`, other.adminToken)).statusCode).toBe(404);
      expect((await get('/v1/policies/versions', other.adminToken)).json()).toEqual({ versions: [] });
      expect((await get('/v1/policies/versions/abc', t.adminToken)).statusCode).toBe(404);
      const bad = await get('/v1/policies/versions/a%20b', t.adminToken);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.details.field).toBe('params.version');
    });
  });

  describe('GET /v1/budgets/:id/usage', () => {
    it('answers the daily series and the projection of the current window', async () => {
      const res = await get(`/v1/budgets/${budgetId}/usage?days=7`, approverToken);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.budget).toMatchObject({ id: budgetId, limit: 10, unit: 'usd' });
      expect(body.series).toHaveLength(7);
      expect(body.series.at(-1)).toEqual({ day: new Date().toISOString().slice(0, 10), used: 1.5 });
      expect(body.series.slice(0, 6).every((d: { used: number }) => d.used === 0)).toBe(true);
      expect(body.projection).toMatchObject({ counter: agentId, used: 1.5 });
      expect(body.projection.projectedUsed).toBeGreaterThanOrEqual(1.5);
      expect(Date.parse(body.projection.windowEnd)).toBeGreaterThan(Date.now());
      expect((await get(`/v1/budgets/${budgetId}/usage`, t.adminToken)).json().series).toHaveLength(30);
    });

    it("sums a role's and a tier's agents", async () => {
      const role = await request(t.node, 'POST', '/v1/budgets', t.adminToken, {
        name: 'helpers-daily',
        scope: 'role',
        role: 'helper',
        period: 'day',
        unit: 'usd',
        limit: 100,
      });
      expect(role.statusCode).toBe(201);
      const today = new Date().toISOString().slice(0, 10);
      const byRole = (await get(`/v1/budgets/${role.json().id}/usage?days=2`, t.adminToken)).json();
      expect(byRole.series).toEqual([
        { day: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10), used: 0 },
        { day: today, used: 1.5 },
      ]);
      // Made after the spend: its counter starts empty, the history is the agents' usage.
      expect(byRole.projection).toMatchObject({ counter: null, used: 0, exhaustsAt: null });
      const budgets = (await get('/v1/budgets', t.adminToken)).json().budgets as {
        id: string;
        name: string;
      }[];
      const sandbox = budgets.find((b) => b.name === 'sandbox-daily-usd');
      const monitored = budgets.find((b) => b.name === 'monitored-daily-usd');
      expect((await get(`/v1/budgets/${monitored?.id}/usage?days=1`, t.adminToken)).json().series).toEqual([
        { day: today, used: 1.5 },
      ]);
      expect((await get(`/v1/budgets/${sandbox?.id}/usage?days=1`, t.adminToken)).json().series).toEqual([
        { day: today, used: 0 },
      ]);
    });

    it('refuses bad days, another tenant and unknown budgets', async () => {
      for (const [query, field] of [
        ['days=0', 'querystring.days'],
        ['days=367', 'querystring.days'],
        ['days=x', 'querystring.days'],
        ['colour=red', 'querystring.colour'],
      ] as const) {
        const res = await get(`/v1/budgets/${budgetId}/usage?${query}`, t.adminToken);
        expect(res.statusCode, query).toBe(400);
        expect(res.json().error.details.field).toBe(field);
      }
      expect((await get(`/v1/budgets/${budgetId}/usage`, other.adminToken)).statusCode).toBe(404);
      expect((await get(`/v1/budgets/${newId('bgt')}/usage`, t.adminToken)).statusCode).toBe(404);
    });
  });

  describe('GET /v1/anomalies', () => {
    it('answers the notices newest first, as far as the caller may read', async () => {
      const all = (await get('/v1/anomalies', securityToken)).json().anomalies;
      expect(all).toEqual([
        expect.objectContaining({
          agentId: otherAgentId,
          agentName: 'helper-two',
          kind: 'breaker_trip',
          metric: null,
          detail: 'circuit breaker tripped: error rate 60% over 20 calls',
        }),
        expect.objectContaining({
          agentId,
          agentName: 'helper-one',
          kind: 'anomaly',
          metric: 'calls',
          detail: 'calls 420 in the hour, 7.0x its baseline of 60',
        }),
      ]);
      expect(
        (await get(`/v1/anomalies?agentId=${agentId}&limit=5`, auditorToken)).json().anomalies,
      ).toHaveLength(1);
      expect((await get('/v1/anomalies?limit=1', t.adminToken)).json().anomalies).toHaveLength(1);
      expect(
        (await get('/v1/anomalies', owner.token)).json().anomalies.map((a: { agentId: string }) => a.agentId),
      ).toEqual([agentId]);
      expect((await get('/v1/anomalies', approverToken)).json().anomalies).toEqual([]);
      expect((await get('/v1/anomalies', other.adminToken)).json().anomalies).toEqual([]);
      expect((await get(`/v1/anomalies?agentId=${agentId}`, other.adminToken)).json().anomalies).toEqual([]);
    });

    it('answers bad parameters with 400 naming the field', async () => {
      for (const [query, field] of [
        ['limit=0', 'querystring.limit'],
        ['limit=201', 'querystring.limit'],
        ['agentId=nope', 'querystring.agentId'],
        ['since=today', 'querystring.since'],
      ] as const) {
        const res = await get(`/v1/anomalies?${query}`, t.adminToken);
        expect(res.statusCode, query).toBe(400);
        expect(res.json().error.details.field).toBe(field);
      }
    });
  });
});
