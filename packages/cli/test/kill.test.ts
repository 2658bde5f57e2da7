import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHuman, request } from '../../server/test/helpers/api.js';
import { seedAgent } from '../../server/test/helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../../server/test/helpers/test-node.js';
import { KILL_POLICY } from '../../server/test/kill/kill-fixtures.js';
import { run } from '../src/index.js';

describe('warden kill against a real server', () => {
  let t: TestNode;
  let url: string;
  let dir: string;
  let security: Awaited<ReturnType<typeof addHuman>>;
  let viewer: Awaited<ReturnType<typeof addHuman>>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-kill-cli-'));
    await writeFile(join(dir, 'kill.yaml'), KILL_POLICY);
    t = await startTestNode('sqlite', { policyDir: dir });
    url = await t.node.listen();
    security = await addHuman(t.node, ['security']);
    viewer = await addHuman(t.node, ['viewer']);
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function cli(argv: string[], token = t.adminToken) {
    let out = '';
    let err = '';
    const code = await run(['kill', ...argv, '--url', url, '--token', token], {
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

  const decide = async (key: string) =>
    (await request(t.node, 'POST', '/v1/decide', key, { tool: 'kb.search', args: { q: 'x' } })).json();

  it('kills one agent, cancelling its pending approval, and says so', async () => {
    const agent = await seedAgent(t.node, { name: 'cli-kill-one' });
    const refund = await request(t.node, 'POST', '/v1/decide', agent.key, {
      tool: 'payments.refund',
      args: { amount: 800 },
    });
    expect(refund.json().effect).toBe('review');
    const killed = await cli(['agent', agent.agent.id, '--reason', 'runaway loop'], security.token);
    expect(killed.code, killed.err).toBe(0);
    expect(killed.out).toBe(
      `killed agent ${agent.agent.id} (cli-kill-one): suspended; 1 pending approval cancelled\n`,
    );
    expect(await decide(agent.key)).toMatchObject({ effect: 'deny', code: 'agent_suspended' });

    const again = await cli(['agent', agent.agent.id]);
    expect(again.code).toBe(0);
    expect(again.out).toBe(
      `agent ${agent.agent.id} (cli-kill-one) was already suspended; 0 pending approvals cancelled\n`,
    );
    const json = await cli(['agent', agent.agent.id, '--json']);
    expect(JSON.parse(json.out)).toMatchObject({ agent: { status: 'suspended' }, changed: false });
  });

  it('kills every agent of an owner given by e-mail', async () => {
    const owner = await addHuman(t.node, ['owner']);
    const one = await seedAgent(t.node, { name: 'cli-owner-a', ownerId: owner.id });
    const two = await seedAgent(t.node, { name: 'cli-owner-b', ownerId: owner.id });
    const killed = await cli(['owner', owner.email, '--reason', 'left the company']);
    expect(killed.code, killed.err).toBe(0);
    expect(killed.out).toBe(
      `killed 2 agents of ${owner.email} (${owner.id}): cli-owner-a, cli-owner-b; 0 pending approvals cancelled\n`,
    );
    for (const agent of [one, two]) expect((await decide(agent.key)).code).toBe('agent_suspended');
  });

  it('freezes the tenant, shows the status, and thaws it', async () => {
    const agent = await seedAgent(t.node);
    const tenantId = t.node.bootstrap.tenant.id;
    expect((await cli(['status'], viewer.token)).out).toBe(`tenant ${tenantId} is not frozen\n`);

    const frozen = await cli(['tenant', '--reason', 'incident 7'], security.token);
    expect(frozen.code, frozen.err).toBe(0);
    expect(frozen.out).toBe(
      `froze tenant ${tenantId}: every agent call is denied until an admin runs "warden kill thaw"; 0 pending approvals cancelled\n`,
    );
    expect(await decide(agent.key)).toMatchObject({ effect: 'deny', code: 'tenant_frozen' });
    const status = await cli(['status'], viewer.token);
    expect(status.out).toMatch(
      new RegExp(
        `^tenant ${tenantId} is frozen since \\d{4}-\\d\\d-\\d\\dT\\S+Z by ${security.id}: incident 7\\n$`,
      ),
    );

    const refused = await cli(['thaw'], security.token);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^error: .*\(forbidden, request req_\w+\)\n$/);
    const thawed = await cli(['thaw']);
    expect(thawed.code, thawed.err).toBe(0);
    expect(thawed.out).toBe(`thawed tenant ${tenantId}: agents may act again\n`);
    expect((await decide(agent.key)).effect).toBe('allow');
    expect((await cli(['thaw'])).out).toBe(`tenant ${tenantId} was not frozen\n`);
  });

  it('refuses bad arguments before calling the server (exit 2), and reports server refusals (exit 1)', async () => {
    const usage: [string[], RegExp][] = [
      [['tenant'], /kill tenant: --reason is required/],
      [['tenant', '--reason', '  '], /--reason: must not be empty/],
      [['agent'], /kill agent: missing the agent id/],
      [['agent', 'bot-7'], /agent id: expected agt_ followed by 26 characters/],
      [['agent', 'agt_01m7yc32ptdchr6skzt8txfecz', '--reason', 'x'.repeat(501)], /--reason: at most 500/],
      [['owner', 'somebody'], /owner: expected usr_ followed by 26 characters/],
      [['status', 'extra'], /kill status: unexpected argument "extra"/],
      [['explode'], /unknown command "kill explode"/],
    ];
    for (const [argv, message] of usage) {
      const res = await cli(argv);
      expect(res.code, argv.join(' ')).toBe(2);
      expect(res.err).toMatch(message);
    }
    const missing = await cli(['agent', 'agt_01m7yc32ptdchr6skzt8txfecz']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/not found \(not_found, request req_\w+\)/);
    const viewerKills = await cli(['tenant', '--reason', 'x'], viewer.token);
    expect(viewerKills.code).toBe(1);
    expect(viewerKills.err).toContain('forbidden');
    expect((await cli(['status'])).out).toContain('is not frozen');
  });

  it('prints help for the group and each command', async () => {
    const group = await cli(['--help']);
    expect(group.code).toBe(0);
    expect(group.out).toContain('Usage: warden kill <command>');
    const tenant = await cli(['tenant', '--help']);
    expect(tenant.out).toContain('Usage: warden kill tenant --reason <text>');
    expect(tenant.out).toContain('--token <token>');
  });
});
