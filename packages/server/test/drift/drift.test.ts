import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { addHuman, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { call, DAY, grant, writeDriftPolicies } from './drift-fixtures.js';

interface RuleJson {
  id: string;
  status: string;
  calls: number;
  usedTools: string[];
  unusedTools: string[];
}
interface CandidateJson {
  kind: string;
  id: string;
  status: string;
  suggestion: { action: string; summary: string; file?: string; yaml?: string; request?: { path: string } };
}
interface AgentJson {
  agentId: string;
  fullWindow: boolean;
  decisions: { allow: number; review: number; deny: number };
  rules: RuleJson[];
  grants: { id: string; status: string; calls: number }[];
  tools: { allowed: string[]; used: { tool: string; calls: number }[]; unused: string[] };
  candidates: CandidateJson[];
}

describe.each(DATABASES)('permission drift (%s)', (db) => {
  let t: TestNode;
  let policyDir: string;
  let now = Date.UTC(2026, 5, 15, 12);
  let owner: { id: string; token: string };
  let otherOwner: { id: string; token: string };
  let auditor: { token: string };
  let main: { id: string; key: string };
  let other: { id: string; key: string };
  let usedGrant: string;
  let idleGrant: string;

  beforeAll(async () => {
    policyDir = await writeDriftPolicies();
    t = await startTestNode(db, { policyDir, clock: () => now });
    owner = await addHuman(t.node, ['owner']);
    otherOwner = await addHuman(t.node, ['owner']);
    auditor = await addHuman(t.node, ['auditor']);
    const a = await seedAgent(t.node, { roles: ['drifter'], ownerId: owner.id });
    const b = await seedAgent(t.node, { roles: ['drifter'], ownerId: otherOwner.id });
    // Both agents were registered long before the window.
    await t.node.storage.db
      .updateTable('agents')
      .set({ created_at: now - 400 * DAY })
      .execute();
    main = { id: a.agent.id, key: a.key };
    other = { id: b.agent.id, key: b.key };
    const start = now;
    usedGrant = await grant(t.node, main.id, ['reports.export'], start - 40 * DAY, start + 30 * DAY);
    idleGrant = await grant(t.node, main.id, ['billing.*'], start - 40 * DAY, start + 30 * DAY);

    // 31 days ago: the only reads of files.read and writes of reports.write by the main agent.
    now = start - 31 * DAY;
    await call(t.node, main.key, 'files.read');
    await call(t.node, main.key, 'reports.write');
    // Inside the window: files.list, a grant-decided export, a denied delete.
    now = start - 5 * DAY;
    await call(t.node, main.key, 'files.list');
    await call(t.node, main.key, 'files.list');
    await call(t.node, main.key, 'files.delete');
    expect((await call(t.node, main.key, 'reports.export')).decidingRule).toBe(usedGrant);
    // The other agent still writes reports.
    await call(t.node, other.key, 'reports.write');
    now = start;
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await rm(policyDir, { recursive: true, force: true });
  });

  const report = async (query = '', token = t.adminToken) => {
    const res = await request(t.node, 'GET', `/v1/drift${query}`, token);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { window: { days: number }; summary: { agents: number }; agents: AgentJson[] };
  };
  const agentOf = (body: { agents: AgentJson[] }, id: string) => {
    const found = body.agents.find((a) => a.agentId === id);
    if (!found) throw new Error(`agent ${id} not in the report`);
    return found;
  };

  it('counts a permission used 31 days ago as unused in a 30-day window, and used in a 40-day one', async () => {
    const drift = agentOf(await report(), main.id);
    const rules = Object.fromEntries(drift.rules.map((r) => [r.id, r]));
    expect(rules['files-read']).toMatchObject({
      status: 'partly_used',
      calls: 2,
      usedTools: ['files.list'],
      unusedTools: ['files.read'],
    });
    expect(rules['reports-write']).toMatchObject({ status: 'unused', calls: 0 });
    expect(rules['admin-reset']).toMatchObject({ status: 'unused', calls: 0 });
    // A deny rule is not a permission; files.delete is always denied, so not open either.
    expect(Object.keys(rules)).toEqual(['files-read', 'reports-write', 'admin-reset']);
    expect(drift.tools.allowed).toEqual([
      'admin.reset',
      'files.list',
      'files.read',
      'reports.export',
      'reports.write',
    ]);
    expect(drift.tools.unused).toEqual(['admin.reset', 'files.read', 'reports.write']);
    expect(drift.decisions).toEqual({ allow: 3, review: 0, deny: 1 });
    expect(drift.fullWindow).toBe(true);

    const longer = agentOf(await report('?days=40'), main.id);
    const longerRules = Object.fromEntries(longer.rules.map((r) => [r.id, r]));
    expect(longerRules['files-read']?.status).toBe('used');
    expect(longerRules['reports-write']?.status).toBe('used');
  });

  it('counts temporary grants: the one used is kept, the idle one is a candidate to revoke', async () => {
    const drift = agentOf(await report(), main.id);
    expect(drift.grants).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: usedGrant, status: 'used', calls: 1 }),
        expect.objectContaining({ id: idleGrant, status: 'unused', calls: 0 }),
      ]),
    );
    const revoke = drift.candidates.find((c) => c.kind === 'grant');
    expect(revoke).toMatchObject({
      id: idleGrant,
      suggestion: { action: 'revoke_grant', request: { path: `/v1/agents/${main.id}/grants/${idleGrant}` } },
    });
    expect(drift.candidates.filter((c) => c.kind === 'grant')).toHaveLength(1);
  });

  it('suggests the change: narrow a partly used rule, remove one nobody uses, unselect one others use', async () => {
    const drift = agentOf(await report(), main.id);
    const byRule = Object.fromEntries(
      drift.candidates.filter((c) => c.kind === 'rule').map((c) => [c.id, c]),
    );
    expect(byRule['files-read']?.suggestion).toMatchObject({ action: 'narrow_rule', file: 'drifters.yaml' });
    const snippet = byRule['files-read']?.suggestion.yaml ?? '';
    expect(snippet).toContain('tools: [files.list]  # was: [files.*]');
    // The snippet is YAML a policy author can paste over the rule's fields.
    expect(parse(snippet)).toEqual([{ id: 'files-read', tools: ['files.list'] }]);
    expect(byRule['admin-reset']?.suggestion.action).toBe('remove_rule');
    expect(byRule['admin-reset']?.suggestion.summary).toContain(
      'no agent it applies to used it in the last 30 days',
    );
    // reports-write is still used by the other agent: taking it away is a matter of selection.
    expect(byRule['reports-write']?.suggestion.action).toBe('unselect_agent');
    expect(byRule['reports-write']?.suggestion.summary).toContain('selects it by role drifter');
    // The same, scoped to one agent (the per-rule use across the tenant is queried apart).
    const one = await request(t.node, 'GET', `/v1/drift/agents/${main.id}`, t.adminToken);
    expect(one.statusCode, one.body).toBe(200);
    const single = one.json().agent as AgentJson;
    expect(single.candidates.map((c) => [c.id, c.suggestion.action])).toEqual(
      drift.candidates.map((c) => [c.id, c.suggestion.action]),
    );
  });

  it('filters by owner; an owner sees only their own agents, an auditor every agent', async () => {
    const mine = await report(`?owner=${owner.id}`);
    expect(mine.agents.map((a) => a.agentId)).toEqual([main.id]);
    const asOwner = await report('', owner.token);
    expect(asOwner.agents.map((a) => a.agentId)).toEqual([main.id]);
    const asAuditor = await report('', auditor.token);
    expect(asAuditor.agents.map((a) => a.agentId).sort()).toEqual([main.id, other.id].sort());
    const foreign = await request(t.node, 'GET', `/v1/drift?owner=${otherOwner.id}`, owner.token);
    expect(foreign.statusCode).toBe(403);
    const otherAgent = await request(t.node, 'GET', `/v1/drift/agents/${other.id}`, owner.token);
    expect(otherAgent.statusCode).toBe(403);
  });

  it('refuses bad input with the field named, and says when an agent is retired', async () => {
    for (const [query, field] of [
      ['?days=0', 'days'],
      ['?days=366', 'days'],
      ['?owner=nobody', 'owner'],
      ['?risk=secret', 'risk'],
      ['?color=red', 'color'],
    ] as const) {
      const res = await request(t.node, 'GET', `/v1/drift${query}`, t.adminToken);
      expect(res.statusCode, query).toBe(400);
      expect(res.body).toContain(field);
    }
    const missing = await request(
      t.node,
      'GET',
      '/v1/drift/agents/agt_00000000000000000000000000',
      t.adminToken,
    );
    expect(missing.statusCode).toBe(404);
    const retired = await seedAgent(t.node, { roles: ['drifter'], status: 'retired' });
    const res = await request(t.node, 'GET', `/v1/drift/agents/${retired.agent.id}`, t.adminToken);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.message).toContain('retired');
  });

  it('marks an agent younger than the window', async () => {
    const young = await seedAgent(t.node, { roles: ['drifter'] });
    await t.node.storage.db
      .updateTable('agents')
      .set({ created_at: now - 3 * DAY })
      .where('id', '=', young.agent.id)
      .execute();
    const drift = agentOf(await report(`?agent=${young.agent.id}`), young.agent.id);
    expect(drift.fullWindow).toBe(false);
    expect(drift.rules.every((r) => r.status === 'unused')).toBe(true);
  });
});
