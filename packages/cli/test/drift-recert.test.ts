import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, grant, writeDriftPolicies } from '../../server/test/drift/drift-fixtures.js';
import { addHuman, request } from '../../server/test/helpers/api.js';
import { seedAgent } from '../../server/test/helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../../server/test/helpers/test-node.js';
import { run } from '../src/index.js';

describe('warden drift and warden recert against a real server', () => {
  let t: TestNode;
  let url: string;
  let dir: string;
  let owner: Awaited<ReturnType<typeof addHuman>>;
  let agent: Awaited<ReturnType<typeof seedAgent>>;
  let idle: string;

  beforeAll(async () => {
    dir = await writeDriftPolicies();
    t = await startTestNode('sqlite', { policyDir: dir });
    url = await t.node.listen();
    owner = await addHuman(t.node, ['owner']);
    agent = await seedAgent(t.node, { name: 'cli-drifter', roles: ['drifter'], ownerId: owner.id });
    idle = await grant(t.node, agent.agent.id, ['billing.read'], Date.now() - DAY, Date.now() + 10 * DAY);
    await request(t.node, 'POST', '/v1/decide', agent.key, { tool: 'files.list', args: {} });
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function cli(argv: string[], token = t.adminToken) {
    let out = '';
    let err = '';
    const code = await run([...argv, '--url', url, '--token', token], {
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
      color: false,
      cwd: dir,
    });
    return { code, out, err };
  }

  it('prints each unused permission with the change that removes it', async () => {
    const report = await cli(['drift', 'report', '--owner', owner.id]);
    expect(report.code, report.err).toBe(0);
    expect(report.out).toContain('1 agent(s); 1 with unused permissions');
    expect(report.out).toContain(`cli-drifter (${agent.agent.id}, owner ${owner.id})`);
    expect(report.out).toContain("rule files-read (partly used): Narrow rule 'files-read'");
    expect(report.out).toContain('tools: [files.list]  # was: [files.*]');
    expect(report.out).toContain(`DELETE /v1/agents/${agent.agent.id}/grants/${idle}`);
    const json = await cli(['drift', 'report', '--agent', agent.agent.id, '--json']);
    expect(JSON.parse(json.out).agents[0].agentId).toBe(agent.agent.id);
    const bad = await cli(['drift', 'report', '--days', '0']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--days');
  });

  it('starts a campaign, certifies with a reduction, and shows the progress', async () => {
    const started = await cli([
      'recert',
      'start',
      '--name',
      'CLI review',
      '--deadline',
      '14d',
      '--owner',
      owner.id,
    ]);
    expect(started.code, started.err).toBe(0);
    const id = /campaign (rcp_\w+)/.exec(started.out)?.[1] ?? '';
    expect(started.out).toContain('1 agent(s) to certify');

    const certified = await cli(
      [
        'recert',
        'certify',
        id,
        agent.agent.id,
        '--decision',
        'reduce',
        '--remove-grant',
        idle,
        '--remove-rule',
        'admin-reset',
      ],
      owner.token,
    );
    expect(certified.code, certified.err).toBe(0);
    expect(certified.out).toContain(`reduced agent ${agent.agent.id} in campaign CLI review`);
    expect(certified.out).toContain(`revoked grant ${idle}`);
    expect(certified.out).toContain("Remove rule 'admin-reset'");
    expect(certified.out).toContain('campaign CLI review is complete');

    const list = await cli(['recert', 'status']);
    expect(list.out).toMatch(new RegExp(`${id}\\s+CLI review\\s+completed`));
    const one = await cli(['recert', 'status', id]);
    expect(one.out).toContain('1 agent(s): 1 reduced');
    const again = await cli(['recert', 'certify', id, agent.agent.id, '--decision', 'keep'], owner.token);
    expect(again.code).toBe(1);
    expect(again.err).toContain('is completed; nothing more can be certified');
  });

  it('checks arguments before calling the server', async () => {
    for (const [argv, message] of [
      [['recert', 'start', '--deadline', '14d'], '--name is required'],
      [['recert', 'start', '--name', 'x', '--deadline', 'soon'], '--deadline must be'],
      [['recert', 'certify', 'rcp_x', agent.agent.id, '--decision', 'keep'], 'campaign id'],
      [
        ['recert', 'certify', 'rcp_00000000000000000000000000', agent.agent.id, '--decision', 'reduce'],
        'needs --remove-rule',
      ],
      [
        ['recert', 'certify', 'rcp_00000000000000000000000000', agent.agent.id, '--decision', 'pause'],
        '--decision',
      ],
    ] as const) {
      const res = await cli([...argv]);
      expect(res.code, argv.join(' ')).toBe(2);
      expect(res.err).toContain(message);
    }
  });
});
