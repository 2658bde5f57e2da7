import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CRITERIA } from '../../server/src/trust/criteria.js';
import { addHuman } from '../../server/test/helpers/api.js';
import { seedAgent } from '../../server/test/helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../../server/test/helpers/test-node.js';
import { act, DayClock, writeTrustPolicyDir } from '../../server/test/trust/trust-fixtures.js';
import { run } from '../src/index.js';

/** `warden agents trust` and `trust-criteria` against a real node. */
describe('warden agents trust against a real server', () => {
  const clock = new DayClock();
  let t: TestNode;
  let url: string;
  let policyDir: string;
  let dir: string;
  let ownerId: string;

  beforeAll(async () => {
    policyDir = await writeTrustPolicyDir();
    dir = await mkdtemp(join(tmpdir(), 'warden-cli-trust-'));
    t = await startTestNode('sqlite', { policyDir, clock: clock.now });
    url = await t.node.listen();
    ownerId = (await addHuman(t.node, ['owner'], { now: clock.now() })).id;
  });
  afterAll(async () => {
    await t.close();
    await rm(policyDir, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  });

  async function cli(...argv: string[]) {
    let out = '';
    let err = '';
    const code = await run([...argv, '--url', url, '--token', t.adminToken], {
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
      color: false,
      cwd: process.cwd(),
    });
    return { code, out, err };
  }

  it('explains where an agent stands: each criterion met or not, with its figures and what it needs', async () => {
    const { agent, key } = await seedAgent(t.node, { name: 'explained', tier: 'sandbox', ownerId });
    await t.node.storage.db
      .updateTable('agents')
      .set({ created_at: clock.now() })
      .where('id', '=', agent.id)
      .execute();
    await act(t.node, key, 3);
    clock.advanceDays(12);
    const shown = await cli('agents', 'trust', agent.id);
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toContain(`agent:          ${agent.id} (explained)`);
    expect(shown.out).toMatch(/tier: +sandbox since /);
    expect(shown.out).toContain('next tier:      monitored');
    expect(shown.out).toContain('last evaluated: never');
    expect(shown.out).toMatch(/not met {2}days_in_tier: 12 days .*\n +needs 18 more days/);
    expect(shown.out).toMatch(
      /not met {2}successful_actions: 3 successful actions \(at least 100 .*\n +needs 97 more/,
    );
    expect(shown.out).toMatch(/met {6}critical_incidents: 0 critical incidents/);

    const json = await cli('agents', 'trust', agent.id, '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({
      agentId: agent.id,
      tier: 'sandbox',
      evidence: { successes: 3 },
    });

    const bad = await cli('agents', 'trust', 'agt_nope');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('agent id: expected agt_');
  });

  it('shows and changes the tenant criteria: a mode by flag, all of them from a file', async () => {
    const shown = await cli('agents', 'trust-criteria');
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toContain('promotion:       approval');
    expect(shown.out).toMatch(/to trusted \(from monitored\):\n(.*\n)*? +successful actions: +at least 1000/);

    const flagged = await cli('agents', 'trust-criteria', '--promotion', 'automatic');
    expect(flagged.code, flagged.err).toBe(0);
    expect(flagged.out).toContain('saved the trust-tier criteria');
    expect(flagged.out).toContain('promotion:       automatic');

    const file = join(dir, 'criteria.json');
    const wanted = {
      ...DEFAULT_CRITERIA,
      promoteTo: {
        ...DEFAULT_CRITERIA.promoteTo,
        trusted: { ...DEFAULT_CRITERIA.promoteTo.trusted, minDaysInTier: 60 },
      },
    };
    await writeFile(file, JSON.stringify({ criteria: wanted }));
    const fromFile = await cli('agents', 'trust-criteria', '--file', file, '--json');
    expect(fromFile.code, fromFile.err).toBe(0);
    expect(JSON.parse(fromFile.out)).toEqual({ criteria: wanted });

    await writeFile(file, JSON.stringify({ ...wanted, reaskAfterDays: 0 }));
    const refused = await cli('agents', 'trust-criteria', '--file', file);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('reaskAfterDays');
    const usage = await cli('agents', 'trust-criteria', '--promotion', 'sometimes');
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('--promotion: expected one of approval, automatic, off');
    await writeFile(file, 'not json');
    expect((await cli('agents', 'trust-criteria', '--file', file)).code).toBe(2);
  });

  it('lists and shows promotion requests under warden approvals', async () => {
    const monitored = { ...DEFAULT_CRITERIA.promoteTo.monitored, minDaysInTier: 0, minSuccessfulActions: 3 };
    const saved = await t.node.app.inject({
      method: 'PUT',
      url: '/v1/trust/criteria',
      headers: { authorization: `Bearer ${t.adminToken}` },
      payload: { ...DEFAULT_CRITERIA, promoteTo: { ...DEFAULT_CRITERIA.promoteTo, monitored } },
    });
    expect(saved.statusCode, saved.body).toBe(200);
    clock.advanceDays(1);
    await t.node.sweepTrust();
    const listed = await cli('approvals', 'list', '--kind', 'promotion');
    expect(listed.code, listed.err).toBe(0);
    expect(listed.out).toContain('tier sandbox -> monitored');
    expect(listed.out).toContain('explained');
    const id = /apr_[0-9a-z]{26}/.exec(listed.out)?.[0] ?? '';
    const shown = await cli('approvals', 'show', id);
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toContain('to promote the agent from sandbox to monitored; approval promotes it');
    expect(shown.out).toMatch(/successful_actions: +met: 3 successful actions/);
  });
});
