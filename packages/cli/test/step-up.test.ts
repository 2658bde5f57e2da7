import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHuman, request } from '../../server/test/helpers/api.js';
import { seedAgent } from '../../server/test/helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../../server/test/helpers/test-node.js';
import { run } from '../src/index.js';

const POLICY = `apiVersion: warden/v1
kind: Policy
metadata:
  name: refunds
  owner: policy-author@example.test
spec:
  agents:
    roles: [support-assistant]
  rules:
    - id: refund-reauth
      effect: review
      tools: [payments.refund]
      when: args.amount > 1000
      approval:
        approvers: [{initiator: {reauth: true}}]
    - id: payout-review
      effect: review
      tools: [payments.payout]
      approval:
        approvers: [group:finance, group:support-leads, user:nobody@example.test]
        onTimeout: escalate
        escalateTo: [group:security]
`;

type Human = Awaited<ReturnType<typeof addHuman>>;

describe('warden groups, me, step-up and policy lint --server against a real server', () => {
  let t: TestNode;
  let url: string;
  let dir: string;
  let customer: Human;
  let lead: Human;
  let other: Human;
  let agentKey: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-step-up-cli-'));
    await writeFile(join(dir, 'refunds.yaml'), POLICY);
    t = await startTestNode('sqlite', { policyDir: dir });
    url = await t.node.listen();
    customer = await addHuman(t.node, ['viewer']);
    lead = await addHuman(t.node, ['approver']);
    other = await addHuman(t.node, ['approver']);
    agentKey = (await seedAgent(t.node)).key;
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function cli(argv: string[], options: { token?: string; secrets?: string[] } = {}) {
    let out = '';
    let err = '';
    const secrets = [...(options.secrets ?? [])];
    const prompts: string[] = [];
    const code = await run([...argv, '--url', url, '--token', options.token ?? t.adminToken], {
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
      color: false,
      cwd: dir,
      readSecret: async (prompt) => {
        prompts.push(prompt);
        return secrets.shift() ?? '';
      },
    });
    return { code, out, err, prompts };
  }

  it('creates, lists, changes and deletes groups by name and e-mail', async () => {
    const created = await cli(['groups', 'create', 'support-leads', '--member', lead.email, '--on-call']);
    expect(created.code, created.err).toBe(0);
    expect(created.out).toContain('support-leads (grp_');
    expect(created.out).toContain('on-call rotation');
    expect(created.out).toContain(`1. ${lead.email}`);

    const added = await cli(['groups', 'members', 'support-leads', '--add', other.email]);
    expect(added.code, added.err).toBe(0);
    expect(added.out).toContain(`2. ${other.email}`);
    const removed = await cli(['groups', 'members', 'support-leads', '--remove', lead.email]);
    expect(removed.out).toContain(`1. ${other.email}`);
    expect(removed.out).not.toContain(lead.email);
    const set = await cli(['groups', 'members', 'support-leads', '--set', `${lead.email},${other.id}`]);
    expect(set.out).toMatch(new RegExp(`1\\. ${lead.email}[\\s\\S]*2\\. ${other.email}`));

    const list = await cli(['groups', 'list']);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^NAME\s+ID\s+ON-CALL\s+MEMBERS$/m);
    expect(list.out).toMatch(
      new RegExp(`^support-leads\\s+grp_\\w+\\s+yes\\s+${lead.email}, ${other.email}$`, 'm'),
    );

    const json = await cli(['groups', 'members', 'support-leads', '--json']);
    expect(JSON.parse(json.out).group.members).toHaveLength(2);

    expect((await cli(['groups', 'create', 'temp'])).code).toBe(0);
    const deleted = await cli(['groups', 'delete', 'temp']);
    expect(deleted.code, deleted.err).toBe(0);
    expect(deleted.out).toMatch(/^deleted group temp \(grp_\w+\)$/m);
    expect((await cli(['groups', 'list'])).out).not.toMatch(/^temp\s/m);
  });

  it('refuses bad group commands with a usage error or the server’s refusal', async () => {
    expect((await cli(['groups', 'create', 'Bad Name'])).code).toBe(2);
    expect((await cli(['groups', 'members', 'x', '--set', 'a', '--add', 'b'])).code).toBe(2);
    const missing = await cli(['groups', 'delete', 'no-such-group']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no group "no-such-group"');
    const unknownMember = await cli(['groups', 'create', 'x1', '--member', 'ghost@example.test']);
    expect(unknownMember.code).toBe(1);
    expect(unknownMember.err).toContain('no human "ghost@example.test"');
    const notAdmin = await cli(['groups', 'create', 'x2'], { token: lead.token });
    expect(notAdmin.code).toBe(1);
    expect(notAdmin.err).toContain('forbidden');
  });

  it('warns, with --server, about approvers the tenant cannot route', async () => {
    // Without --server, --url and --token are a usage mistake: they only mean something with it.
    expect((await cli(['policy', 'lint', dir])).code).toBe(2);
    const offline = await runPlain(['policy', 'lint', dir]);
    expect(offline.out).toContain('0 warnings');

    const linted = await cli(['policy', 'lint', dir, '--server']);
    expect(linted.code, linted.err).toBe(0);
    expect(linted.out).toContain(
      "refunds.yaml:16:1: warning: spec.rules[1].approval.approvers: rule 'payout-review': the tenant has no group 'finance'; create it with `warden groups create finance`",
    );
    expect(linted.out).toContain('user:nobody@example.test names no human of the tenant');
    expect(linted.out).not.toContain("group 'support-leads'");
    expect(linted.out).not.toContain("group 'security'");
    expect(linted.out).toContain('0 errors, 2 warnings');

    const unreachable = await run(
      ['policy', 'lint', dir, '--server', '--url', 'http://127.0.0.1:1', '--token', t.adminToken],
      {
        out: () => {},
        err: () => {},
        color: false,
        cwd: dir,
      },
    );
    expect(unreachable).toBe(1);
  });

  it('sets a re-authentication secret and approves with --reauth', async () => {
    const set = await cli(['me', 'reauth-secret'], {
      token: customer.token,
      secrets: ['my long secret phrase'],
    });
    expect(set.code, set.err).toBe(0);
    expect(set.prompts).toEqual(['New re-authentication secret: ']);

    const decided = await request(t.node, 'POST', '/v1/decide', agentKey, {
      tool: 'payments.refund',
      args: { amount: 1500 },
      context: { onBehalfOf: customer.email },
    });
    const id = decided.json().approvalRequest.id as string;

    const plain = await cli(['approvals', 'approve', id], { token: customer.token });
    expect(plain.code).toBe(1);
    expect(plain.err).toContain('reauth_required');

    const wrong = await cli(['approvals', 'approve', id, '--reauth'], {
      token: customer.token,
      secrets: ['wrong secret!!'],
    });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('re-authentication secret is wrong');

    const approved = await cli(['approvals', 'approve', id, '--reauth', '--comment', 'it was me'], {
      token: customer.token,
      secrets: ['my long secret phrase'],
    });
    expect(approved.code, approved.err).toBe(0);
    expect(approved.prompts).toEqual(['Re-authentication secret: ']);
    expect(approved.out).toContain('approved');

    const change = await cli(['me', 'reauth-secret', '--change'], {
      token: customer.token,
      secrets: ['my long secret phrase', 'a newer secret phrase'],
    });
    expect(change.code, change.err).toBe(0);
  });

  it('sets, shows and removes the step-up hook', async () => {
    const secret = 'x'.repeat(40);
    const set = await cli(['step-up', 'hook', 'set', '--hook-url', 'https://product.example/step-up'], {
      secrets: [secret],
    });
    expect(set.code, set.err).toBe(0);
    expect(set.out).toMatch(/^url:\s+https:\/\/product\.example\/step-up$/m);
    const shown = await cli(['step-up', 'hook', 'show']);
    expect(shown.out).toContain('https://product.example/step-up');
    expect(shown.out).not.toContain(secret);
    expect((await cli(['step-up', 'hook', 'set'])).code).toBe(2);
    expect((await cli(['step-up', 'hook', 'remove'])).out).toBe('step-up hook removed\n');
    const gone = await cli(['step-up', 'hook', 'show']);
    expect(gone.code).toBe(1);
    expect(gone.err).toContain('not_found');
  });

  async function runPlain(argv: string[]) {
    let out = '';
    const code = await run(argv, { out: (text) => (out += text), err: () => {}, color: false, cwd: dir });
    return { code, out };
  }
});
