import { decide, formatIssue, loadBundleFromFiles } from '@warden/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayInput, type StoredPolicyInput } from '../../src/decisions/policy-input.js';
import { addHuman, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { bundleDir, files, removeDir, V1, V2 } from './change-fixtures.js';

describe.each(DATABASES)('policy impact: replaying recorded decisions (%s)', (db) => {
  let t: TestNode;
  let dir: string;
  let worker: Awaited<ReturnType<typeof seedAgent>>;
  let other: Awaited<ReturnType<typeof seedAgent>>;
  let quiet: Awaited<ReturnType<typeof seedAgent>>;
  let security: string;
  /** Decision ids by what was asked. */
  const ids: Record<string, string[]> = {};

  const decideAs = async (key: string, tool: string, args: object) => {
    const answer = await request(t.node, 'POST', '/v1/decide', key, { tool, args });
    expect(answer.statusCode).toBe(200);
    const body = answer.json() as { decisionId: string; effect: string };
    ids[tool] = [...(ids[tool] ?? []), body.decisionId];
    return body;
  };
  const preview = (body: object, token = security) =>
    request(t.node, 'POST', '/v1/policies/preview', token, body);

  beforeAll(async () => {
    dir = await bundleDir(V1);
    t = await startTestNode(db, { policyDir: dir });
    security = (await addHuman(t.node, ['security'])).token;
    worker = await seedAgent(t.node, { roles: ['worker'] });
    other = await seedAgent(t.node, { roles: ['worker'] });
    quiet = await seedAgent(t.node, { roles: ['worker'] });
    await decideAs(worker.key, 'files.read', { path: '/secret/plans' });
    await decideAs(worker.key, 'files.read', { path: '/public/readme' });
    await decideAs(worker.key, 'files.write', { path: '/tmp/a' });
    await decideAs(worker.key, 'files.write', { path: '/tmp/b' });
    await decideAs(other.key, 'files.write', { path: '/tmp/c' });
    await decideAs(worker.key, 'files.delete', { path: '/tmp/a' });
    // Redacted before storage: the candidate would deny this write, but the replay must not guess.
    await decideAs(other.key, 'files.write', { path: '/tmp/d', password: 'hunter2-hunter2' });
    // Decided by a gate before the policy was asked.
    await request(t.node, 'POST', `/v1/agents/${other.agent.id}/suspend`, t.adminToken, { reason: 'test' });
    const suspended = await request(t.node, 'POST', '/v1/decide', other.key, {
      tool: 'files.read',
      args: {},
    });
    expect(suspended.json()).toMatchObject({ effect: 'deny' });
    await request(t.node, 'POST', `/v1/agents/${other.agent.id}/resume`, t.adminToken, {});
  });
  afterAll(async () => {
    await t.close();
    await removeDir(dir);
  });

  it('keeps what the policy was asked with each decision, and replaying it gives the live answer', async () => {
    const rows = await t.node.storage.db
      .selectFrom('decisions')
      .select(['id', 'tool', 'args', 'effect', 'code', 'deciding_rule', 'policy_input'])
      .where('agent_id', '=', worker.agent.id)
      .execute();
    expect(rows).toHaveLength(5);
    const bundle = t.node.registry.get(t.node.bootstrap.tenant.id);
    if (!bundle) throw new Error('no active bundle');
    for (const row of rows) {
      const stored = JSON.parse(row.policy_input ?? 'null') as StoredPolicyInput;
      expect(stored.input.agent).toMatchObject({ id: worker.agent.id, roles: ['worker'] });
      expect(stored.input.usage).toBeDefined();
      const again = decide(bundle, replayInput(stored, row.tool, JSON.parse(row.args)));
      expect({ effect: again.effect, code: again.code, rule: again.decidingRule }).toEqual({
        effect: row.effect,
        code: row.code,
        rule: row.deciding_rule,
      });
    }
  });

  it('replaying the active bundle changes nothing', async () => {
    const answer = await preview({ files: files(V1) });
    expect(answer.statusCode).toBe(200);
    const report = answer.json();
    expect(report).toMatchObject({
      candidateVersion: report.activeVersion,
      decisions: 8,
      replayed: 6,
      changed: 0,
      unchanged: 6,
      groups: [],
      agentsLosingAllows: [],
      notReplayed: { redacted: 1, rejectedArgs: 0, noPolicyInput: 1 },
      note: null,
    });
  });

  it('reports every changed verdict grouped by agent, tool and rule, allow → deny first', async () => {
    const answer = await preview({ files: files(V2), since: '1h' });
    expect(answer.statusCode).toBe(200);
    const report = answer.json();
    expect(report.replayed).toBe(6);
    expect(report.changed).toBe(5);
    expect(report.transitions).toMatchObject({ 'allow→deny': 3, 'allow→review': 1, 'deny→allow': 1 });
    expect(
      report.groups.map((g: { transition: string; agentId: string; tool: string; count: number }) => [
        g.transition,
        g.agentId,
        g.tool,
        g.count,
      ]),
    ).toEqual([
      ['allow→deny', worker.agent.id, 'files.write', 2],
      ['allow→deny', other.agent.id, 'files.write', 1],
      ['allow→review', worker.agent.id, 'files.read', 1],
      ['deny→allow', worker.agent.id, 'files.delete', 1],
    ]);
    const [writes] = report.groups;
    expect(writes).toMatchObject({ fromRule: 'worker-write', toRule: 'worker-write-frozen' });
    expect(writes.examples.map((e: { decisionId: string }) => e.decisionId).sort()).toEqual(
      (ids['files.write'] ?? []).slice(0, 2).sort(),
    );
    expect(report.groups[2]).toMatchObject({ fromRule: 'worker-read', toRule: 'worker-read-secret' });
    expect(report.agentsLosingAllows).toEqual([
      { agentId: worker.agent.id, count: 3 },
      { agentId: other.agent.id, count: 1 },
    ]);
    // The redacted write is counted apart, with its id, never replayed.
    expect(report.notReplayed.redacted).toBe(1);
    expect(report.notReplayed.redactedExamples.map((e: { decisionId: string }) => e.decisionId)).toEqual([
      ids['files.write']?.[3],
    ]);
  });

  it('narrows the window to the agents asked for', async () => {
    const report = (await preview({ files: files(V2), agents: [other.agent.id] })).json();
    expect(report).toMatchObject({ decisions: 3, replayed: 1, changed: 1 });
    expect(report.window.agents).toEqual([other.agent.id]);
  });

  it('says so when the window holds no recorded decision', async () => {
    const report = (await preview({ files: files(V2), agents: [quiet.agent.id] })).json();
    expect(report).toMatchObject({ decisions: 0, replayed: 0, changed: 0 });
    expect(report.note).toContain('no decisions were recorded');
  });

  it('gives a candidate with errors the same report as warden policy lint, and changes nothing', async () => {
    const broken = [{ path: 'workers.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nmetadata: {}\n' }];
    const versionsBefore = await t.node.storage.db.selectFrom('policy_versions').select('version').execute();
    const answer = await preview({ files: broken });
    expect(answer.statusCode).toBe(422);
    const loaded = loadBundleFromFiles(broken);
    if (loaded.ok) throw new Error('the broken bundle loaded');
    expect(answer.json().error.code).toBe('policy_invalid');
    expect(answer.json().error.details.issues.map((i: { text: string }) => i.text)).toEqual(
      loaded.issues.map(formatIssue),
    );
    expect(await t.node.storage.db.selectFrom('policy_versions').select('version').execute()).toEqual(
      versionsBefore,
    );
  });

  it('refuses bad input naming the field', async () => {
    const cases: [object, string][] = [
      [{ files: files(V2), since: 'a week' }, 'body.since'],
      [{ files: files(V2), since: '0s' }, 'body.since'],
      [{ files: [] }, 'body.files'],
      [{ files: files(V2), agents: ['agt_00000000000000000000000000'] }, 'body.agents[0]'],
      [{ files: files(V2), extra: 1 }, 'body'],
    ];
    for (const [body, field] of cases) {
      const answer = await preview(body);
      expect(answer.statusCode, JSON.stringify(body)).toBe(400);
      expect(answer.json().error.message).toContain(field);
    }
  });

  it('is for security and admins only', async () => {
    const owner = await addHuman(t.node, ['owner']);
    expect((await preview({ files: files(V1) }, owner.token)).statusCode).toBe(403);
    expect((await preview({ files: files(V1) }, t.adminToken)).statusCode).toBe(200);
  });
});
