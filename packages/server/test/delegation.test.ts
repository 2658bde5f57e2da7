import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addHuman, auditEventsOf, createOtherTenant, type Method, request } from './helpers/api.js';
import { seedAgent } from './helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from './helpers/test-node.js';

type Seeded = Awaited<ReturnType<typeof seedAgent>>;

describe.each(DATABASES)('delegation is proven by the delegator (%s)', (db) => {
  let t: TestNode;
  let skew = 0;
  let deploy: Seeded;
  let reviewer: Seeded;
  let other: Awaited<ReturnType<typeof createOtherTenant>>;
  let serial = 0;

  const call = (method: Method, url: string, token?: string, payload?: object) =>
    request(t.node, method, url, token, payload);
  const decide = (key: string, payload: object) => call('POST', '/v1/decide', key, payload);
  const delegate = (key: string, payload: object) => call('POST', '/v1/delegations', key, payload);
  const taskId = () => `task-${++serial}`;

  /** A grant made through the API by `from` to `to`, answering its id. */
  async function grant(from: Seeded, to: Seeded, body: Record<string, unknown> = {}): Promise<string> {
    const res = await delegate(from.key, { delegateId: to.agent.id, tools: ['*'], ...body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id;
  }

  /** What a refused call must leave untouched: decisions, tasks, audit events. */
  async function snapshot() {
    const dbh = t.node.storage.db;
    const count = async (table: 'decisions' | 'tasks' | 'audit_events' | 'delegation_grants') =>
      Number(
        (
          await dbh
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      decisions: await count('decisions'),
      tasks: await count('tasks'),
      audit: await count('audit_events'),
      grants: await count('delegation_grants'),
      taskRows: await dbh.selectFrom('tasks').selectAll().orderBy('id').execute(),
    };
  }

  async function decisionRow(id: string) {
    return t.node.storage.db
      .selectFrom('decisions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  }

  beforeAll(async () => {
    t = await startTestNode(db, { clock: () => Date.now() + skew });
    other = await createOtherTenant(t.node);
    deploy = await seedAgent(t.node, { roles: ['deploy-agent'] });
    reviewer = await seedAgent(t.node, { roles: ['code-review-bot'] });
    const started = await decide(deploy.key, {
      tool: 'github.repos.read',
      context: { taskId: 'deploy-task-1' },
    });
    expect(started.json()).toMatchObject({ effect: 'allow', taskId: 'deploy-task-1' });
  });
  beforeEach(() => {
    skew = 0;
  });
  afterAll(() => t.close());

  it('refuses an agent that only claims to act for another (403 naming the field), writing nothing', async () => {
    const before = await snapshot();
    for (const delegation of [[deploy.agent.id], [{ agentId: deploy.agent.id }]]) {
      const res = await decide(reviewer.key, {
        tool: 'github.repos.read',
        context: { taskId: 'deploy-task-1' },
        delegation,
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().error).toMatchObject({ code: 'forbidden', details: { field: 'body.delegation[0]' } });
    }
    // Without a task too: the claim alone is refused.
    const bare = await decide(reviewer.key, { tool: 'github.repos.read', delegation: [deploy.agent.id] });
    expect(bare.statusCode).toBe(403);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses an id that is no agent of this tenant the same way', async () => {
    const foreign = await seedAgent(t.node, { tenantId: other.tenantId, ownerId: other.adminId });
    for (const id of ['agt_00000000000000000000000000', foreign.agent.id]) {
      const res = await decide(reviewer.key, { tool: 'github.repos.read', delegation: [id] });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.details.field).toBe('body.delegation[0]');
    }
    // Nor can the other tenant's agent name ours.
    const res = await decide(foreign.key, { tool: 'github.repos.read', delegation: [deploy.agent.id] });
    expect(res.statusCode).toBe(403);
  });

  it('lets a delegate with a grant into the task, and audits the grant it used', async () => {
    const before = Date.now();
    const created = await delegate(deploy.key, {
      delegateId: reviewer.agent.id,
      tools: ['github.repos.*'],
      taskId: 'deploy-task-1',
      ttlSeconds: 600,
    });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({
      id: expect.stringMatching(/^dlg_/),
      delegatorId: deploy.agent.id,
      delegateId: reviewer.agent.id,
      tools: ['github.repos.*'],
      taskId: 'deploy-task-1',
      revokedAt: null,
    });
    const lasts = Date.parse(body.expiresAt) - Date.parse(body.createdAt);
    expect(lasts).toBe(600_000);
    expect(Date.parse(body.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    const granted = await auditEventsOf(t.node, body.id);
    expect(granted.map((e) => e.type)).toEqual(['delegation.grant']);
    expect(granted[0]?.actor).toEqual({ type: 'agent', id: deploy.agent.id });
    expect(granted[0]?.payload).toMatchObject({ delegateId: reviewer.agent.id, taskId: 'deploy-task-1' });

    const res = await decide(reviewer.key, {
      tool: 'github.repos.read',
      context: { taskId: 'deploy-task-1' },
      delegation: [{ agentId: deploy.agent.id, grant: body.id }],
    });
    expect(res.statusCode, res.body).toBe(200);
    const decision = res.json();
    expect(decision).toMatchObject({ effect: 'allow', taskId: 'deploy-task-1', agentId: reviewer.agent.id });
    expect(decision.delegation.map((v: { agentId: string }) => v.agentId)).toEqual([
      deploy.agent.id,
      reviewer.agent.id,
    ]);
    const events = await auditEventsOf(t.node, decision.decisionId);
    expect(events[0]?.actor).toEqual({
      type: 'agent',
      id: reviewer.agent.id,
      delegation: [deploy.agent.id],
      delegationProofs: [body.id],
    });
    const detail = JSON.parse((await decisionRow(decision.decisionId)).detail);
    expect(detail.delegators).toEqual([deploy.agent.id]);
    expect(detail.delegationProofs).toEqual([{ agentId: deploy.agent.id, via: 'grant', grant: body.id }]);
    // The owner stays the deploy agent.
    const task = await t.node.storage.db
      .selectFrom('tasks')
      .select('agent_id')
      .where('id', '=', 'deploy-task-1')
      .executeTakeFirstOrThrow();
    expect(task.agent_id).toBe(deploy.agent.id);
    // The audit API shows the proof too (the response schema would drop an unknown field).
    const listed = await call(
      'GET',
      '/v1/audit/events?task=deploy-task-1&type=decision.*&order=desc&limit=1',
      t.adminToken,
    );
    expect(listed.json().events[0]).toMatchObject({
      subject: { id: decision.decisionId },
      actor: { delegation: [deploy.agent.id], delegationProofs: [body.id] },
    });
  });

  it('refuses expired, revoked, other-tool, other-task and other-delegate grants', async () => {
    const task = taskId();
    expect(
      (await decide(deploy.key, { tool: 'github.repos.read', context: { taskId: task } })).statusCode,
    ).toBe(200);
    const third = await seedAgent(t.node, { roles: ['code-review-bot'] });
    const attempt = (grantId: string, context: object = { taskId: task }, tool = 'github.repos.read') =>
      decide(reviewer.key, { tool, context, delegation: [{ agentId: deploy.agent.id, grant: grantId }] });
    const refusedWith = async (res: Awaited<ReturnType<typeof attempt>>, message: RegExp) => {
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().error.details.field).toBe('body.delegation[0].grant');
      expect(res.json().error.message).toMatch(message);
    };

    const expiring = await grant(deploy, reviewer, { ttlSeconds: 60 });
    const revoked = await grant(deploy, reviewer);
    expect((await attempt(revoked)).statusCode).toBe(200);
    expect((await call('DELETE', `/v1/delegations/${revoked}`, deploy.key)).statusCode).toBe(204);
    expect((await auditEventsOf(t.node, revoked)).map((e) => e.type)).toEqual([
      'delegation.grant',
      'delegation.revoke',
    ]);
    expect((await call('DELETE', `/v1/delegations/${revoked}`, deploy.key)).statusCode).toBe(409);
    const pullsOnly = await grant(deploy, reviewer, { tools: ['github.pulls.*'] });
    const otherTask = await grant(deploy, reviewer, { taskId: 'deploy-task-1' });
    const toThird = await grant(deploy, third);
    // A grant the reviewer was given by someone else does not prove the deploy agent's consent.
    const fromThird = await grant(third, reviewer);

    const before = await snapshot();
    skew = 61_000;
    await refusedWith(await attempt(expiring), /expired/);
    skew = 0;
    await refusedWith(await attempt(revoked), /revoked/);
    await refusedWith(await attempt(pullsOnly), /does not cover tool github\.repos\.read/);
    await refusedWith(await attempt(otherTask), /for task deploy-task-1 only/);
    await refusedWith(await attempt(otherTask, {}), /for task deploy-task-1 only/);
    await refusedWith(await attempt(toThird), /not given to agent/);
    await refusedWith(await attempt(fromThird), /not given by agent/);
    await refusedWith(await attempt('dlg_00000000000000000000000000'), /not found/);
    const after = await snapshot();
    expect(after).toEqual(before);
    expect(after.taskRows.find((r) => r.id === task)?.agent_id).toBe(deploy.agent.id);
  });

  it('proves a chain of two link by link', async () => {
    const lead = await seedAgent(t.node, { roles: ['support-assistant'] });
    const middle = await seedAgent(t.node, { roles: ['support-assistant'] });
    const leaf = await seedAgent(t.node, { roles: ['support-assistant'] });
    const task = taskId();
    expect((await decide(lead.key, { tool: 'kb.articles.read', context: { taskId: task } })).statusCode).toBe(
      200,
    );
    const first = await grant(lead, middle, { tools: ['kb.*'] });
    const second = await grant(middle, leaf, { tools: ['kb.articles.read'] });
    const res = await decide(leaf.key, {
      tool: 'kb.articles.read',
      context: { taskId: task },
      delegation: [
        { agentId: lead.agent.id, grant: first },
        { agentId: middle.agent.id, grant: second },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().effect).toBe('allow');
    const events = await auditEventsOf(t.node, res.json().decisionId);
    expect(events[0]?.actor).toMatchObject({
      delegation: [lead.agent.id, middle.agent.id],
      delegationProofs: [first, second],
    });

    // The lead gave nothing to the leaf directly: its grant to the middle agent proves only that link.
    const before = await snapshot();
    const skipped = await decide(leaf.key, {
      tool: 'kb.articles.read',
      context: { taskId: task },
      delegation: [{ agentId: lead.agent.id, grant: first }],
    });
    expect(skipped.statusCode).toBe(403);
    expect(skipped.json().error.details.field).toBe('body.delegation[0].grant');
    const unproven = await decide(leaf.key, {
      tool: 'kb.articles.read',
      context: { taskId: task },
      delegation: [lead.agent.id, { agentId: middle.agent.id, grant: second }],
    });
    expect(unproven.statusCode).toBe(403);
    expect(unproven.json().error.details.field).toBe('body.delegation[0]');
    const swapped = await decide(leaf.key, {
      tool: 'kb.articles.read',
      delegation: [
        { agentId: lead.agent.id, grant: second },
        { agentId: middle.agent.id, grant: first },
      ],
    });
    expect(swapped.statusCode).toBe(403);
    expect(await snapshot()).toEqual(before);
  });

  it('keeps the spawn link: a child writes into its parent task and may name its direct parent', async () => {
    const grandparent = await seedAgent(t.node, { roles: ['support-assistant'] });
    const parent = await seedAgent(t.node, { roles: ['support-assistant'], parentId: grandparent.agent.id });
    const child = await seedAgent(t.node, { roles: ['support-assistant'], parentId: parent.agent.id });
    const task = taskId();
    expect(
      (await decide(parent.key, { tool: 'kb.articles.read', context: { taskId: task } })).statusCode,
    ).toBe(200);
    const implicit = await decide(child.key, { tool: 'kb.articles.read', context: { taskId: task } });
    expect(implicit.statusCode).toBe(200);
    const named = await decide(child.key, {
      tool: 'kb.articles.read',
      context: { taskId: task },
      delegation: [parent.agent.id],
    });
    expect(named.statusCode).toBe(200);
    expect((await auditEventsOf(t.node, named.json().decisionId))[0]?.actor).toMatchObject({
      delegation: [parent.agent.id],
      delegationProofs: ['spawn'],
    });
    // Spawn links prove each step, so the whole lineage may be named, but not a skipped generation.
    const lineage = await decide(child.key, {
      tool: 'kb.articles.read',
      delegation: [grandparent.agent.id, parent.agent.id],
    });
    expect(lineage.statusCode).toBe(200);
    const skipped = await decide(child.key, { tool: 'kb.articles.read', delegation: [grandparent.agent.id] });
    expect(skipped.statusCode).toBe(403);
    expect(skipped.json().error.details.field).toBe('body.delegation[0]');
    // Nor does a parent act for its child by being its parent.
    const upward = await decide(parent.key, { tool: 'kb.articles.read', delegation: [child.agent.id] });
    expect(upward.statusCode).toBe(403);
  });

  it('denies (as a recorded decision) a call for a delegator that is suspended', async () => {
    const lead = await seedAgent(t.node, { roles: ['support-assistant'] });
    const helper = await seedAgent(t.node, { roles: ['support-assistant'] });
    const given = await grant(lead, helper);
    await t.node.storage.db
      .updateTable('agents')
      .set({ status: 'suspended' })
      .where('id', '=', lead.agent.id)
      .execute();
    await t.node.signals.publish({
      type: 'agent.changed',
      tenantId: lead.agent.tenantId,
      agentId: lead.agent.id,
    });
    const res = await decide(helper.key, {
      tool: 'kb.articles.read',
      delegation: [{ agentId: lead.agent.id, grant: given }],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      effect: 'deny',
      code: 'agent_suspended',
      decidingAgent: lead.agent.id,
    });
    // A suspended agent makes no new grants.
    const refused = await delegate(lead.key, { delegateId: helper.agent.id, tools: ['*'] });
    expect(refused.statusCode).toBe(403);
  });

  it('validates a grant: 400 naming the field, nothing stored', async () => {
    const foreign = await seedAgent(t.node, { tenantId: other.tenantId, ownerId: other.adminId });
    const before = await snapshot();
    const cases: [object, string][] = [
      [{ delegateId: reviewer.agent.id, tools: [] }, 'body.tools'],
      [{ delegateId: reviewer.agent.id, tools: ['*'], ttlSeconds: 24 * 3600 + 1 }, 'body.ttlSeconds'],
      [{ delegateId: reviewer.agent.id, tools: ['*'], ttlSeconds: 10 }, 'body.ttlSeconds'],
      [{ delegateId: reviewer.agent.id, tools: ['*'], taskId: 'no spaces' }, 'body.taskId'],
      [{ delegateId: deploy.agent.id, tools: ['*'] }, 'body.delegateId'],
      [{ delegateId: foreign.agent.id, tools: ['*'] }, 'body.delegateId'],
      [{ delegateId: 'agt_00000000000000000000000000', tools: ['*'] }, 'body.delegateId'],
      [{ delegateId: reviewer.agent.id, tools: ['*'], extra: 1 }, 'body.extra'],
    ];
    for (const [payload, field] of cases) {
      const res = await delegate(deploy.key, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.details.field, JSON.stringify(payload)).toBe(field);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('lists grants to the agents that gave or received them and to the humans of the tenant', async () => {
    const lead = await seedAgent(t.node, { roles: ['support-assistant'] });
    const helper = await seedAgent(t.node, { roles: ['support-assistant'] });
    const given = await grant(lead, helper);
    const ended = await grant(lead, helper);
    expect((await call('DELETE', `/v1/delegations/${ended}`, lead.key)).statusCode).toBe(204);
    const ids = (res: Awaited<ReturnType<typeof call>>) =>
      res.json().delegations.map((d: { id: string }) => d.id);
    expect(ids(await call('GET', '/v1/delegations', lead.key))).toEqual([given]);
    expect(ids(await call('GET', '/v1/delegations', helper.key))).toEqual([given]);
    expect(ids(await call('GET', '/v1/delegations?all=true', helper.key))).toEqual([ended, given]);
    expect(ids(await call('GET', '/v1/delegations', reviewer.key))).not.toContain(given);
    expect(ids(await call('GET', `/v1/agents/${lead.agent.id}/delegations?all=true`, t.adminToken))).toEqual([
      ended,
      given,
    ]);
  });

  describe('security', () => {
    it('needs an agent key to grant, list and revoke; humans are refused with 403', async () => {
      const given = await grant(deploy, reviewer);
      const before = await snapshot();
      for (const [method, url, payload] of [
        ['POST', '/v1/delegations', { delegateId: reviewer.agent.id, tools: ['*'] }],
        ['GET', '/v1/delegations', undefined],
        ['DELETE', `/v1/delegations/${given}`, undefined],
      ] as const) {
        expect((await call(method, url, undefined, payload)).statusCode, url).toBe(401);
        expect((await call(method, url, t.adminToken, payload)).statusCode, url).toBe(403);
      }
      expect(await snapshot()).toEqual(before);
    });

    it('lets only the delegator revoke with its key: the delegate and other tenants get 404', async () => {
      const given = await grant(deploy, reviewer);
      const foreign = await seedAgent(t.node, { tenantId: other.tenantId, ownerId: other.adminId });
      const before = await snapshot();
      expect((await call('DELETE', `/v1/delegations/${given}`, reviewer.key)).statusCode).toBe(404);
      expect((await call('DELETE', `/v1/delegations/${given}`, foreign.key)).statusCode).toBe(404);
      expect((await call('GET', '/v1/delegations?all=true', foreign.key)).json().delegations).toEqual([]);
      expect(await snapshot()).toEqual(before);
      // Still in force.
      expect(
        (
          await decide(reviewer.key, {
            tool: 'github.repos.read',
            delegation: [{ agentId: deploy.agent.id, grant: given }],
          })
        ).statusCode,
      ).toBe(200);
    });

    it('human routes: agent keys 403, other tenants 404, only owner, admin or security revoke', async () => {
      const given = await grant(deploy, reviewer);
      const url = `/v1/agents/${deploy.agent.id}/delegations`;
      const before = await snapshot();
      expect((await call('GET', url)).statusCode).toBe(401);
      expect((await call('GET', url, deploy.key)).statusCode).toBe(403);
      expect((await call('DELETE', `${url}/${given}`, deploy.key)).statusCode).toBe(403);
      expect((await call('GET', url, other.adminToken)).statusCode).toBe(404);
      expect((await call('DELETE', `${url}/${given}`, other.adminToken)).statusCode).toBe(404);
      const bystander = await addHuman(t.node, ['approver']);
      expect((await call('DELETE', `${url}/${given}`, bystander.token)).statusCode).toBe(403);
      // A grant is reached only through one of its two agents.
      const unrelated = await seedAgent(t.node);
      expect(
        (await call('DELETE', `/v1/agents/${unrelated.agent.id}/delegations/${given}`, t.adminToken))
          .statusCode,
      ).toBe(404);
      expect(await snapshot()).toEqual(before);

      const security = await addHuman(t.node, ['security']);
      expect((await call('DELETE', `${url}/${given}`, security.token)).statusCode).toBe(204);
      const revoked = await auditEventsOf(t.node, given);
      expect(revoked.at(-1)).toMatchObject({
        type: 'delegation.revoke',
        actor: { type: 'human', id: security.id },
      });
      expect((await call('DELETE', `${url}/${given}`, security.token)).statusCode).toBe(409);
    });
  });
});
