import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHuman } from '../../server/test/helpers/api.js';
import { startTestNode, type TestNode } from '../../server/test/helpers/test-node.js';
import { run } from '../src/index.js';

/** `warden agents` against a real node: the CLI and the routes agree on the contract. */
describe('warden agents against a real server', () => {
  let t: TestNode;
  let url: string;
  let ownerId: string;

  beforeAll(async () => {
    t = await startTestNode('sqlite');
    url = await t.node.listen();
    const me = await t.node.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    ownerId = me.json().human.id;
  });
  afterAll(() => t.close());

  async function cli(...argv: string[]) {
    let out = '';
    let err = '';
    const code = await run(['agents', ...argv, '--url', url, '--token', t.adminToken], {
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

  it('creates, lists, shows, updates, suspends, resumes, rotates and retires an agent', async () => {
    const created = await cli(
      'create',
      '--name',
      'cli-e2e',
      '--owner',
      ownerId,
      '--purpose',
      'end-to-end',
      '--risk',
      'pii',
      '--env',
      'staging',
      '--role',
      'support-assistant',
      '--label',
      'team=support',
      '--json',
    );
    expect(created.code, created.err).toBe(0);
    const body = JSON.parse(created.out);
    expect(body.agent).toMatchObject({
      name: 'cli-e2e',
      status: 'pending',
      tier: 'sandbox',
      labels: { team: 'support' },
    });
    expect(body.secret).toMatch(/^wdn_a_/);
    const id = body.agent.id as string;

    // A pii agent is activated by approving its registration, not directly.
    const activate = await cli('activate', id);
    expect(activate.code).toBe(1);
    expect(activate.err).toContain('registration request');
    const security = await addHuman(t.node, ['security']);
    const approvalId = /apr_[0-9a-z]{26}/.exec(activate.err)?.[0] as string;
    let approved = '';
    const code = await run(['approvals', 'approve', approvalId, '--url', url, '--token', security.token], {
      out: (text) => {
        approved += text;
      },
      err: (text) => {
        approved += text;
      },
      color: false,
      cwd: process.cwd(),
    });
    expect(code, approved).toBe(0);
    const list = await cli('list', '--status', 'active', '--role', 'support-assistant');
    expect(list.code).toBe(0);
    expect(list.out).toContain('cli-e2e');
    expect((await cli('show', id)).out).toContain('support-assistant');

    const updated = await cli('update', id, '--purpose', 'changed', '--tier', 'monitored');
    expect(updated.code, updated.err).toBe(0);
    expect(updated.out).toContain('monitored');

    expect((await cli('suspend', id, '--reason', 'investigating')).code).toBe(0);
    expect(JSON.parse((await cli('show', id, '--json')).out).agent.status).toBe('suspended');
    expect((await cli('resume', id)).code).toBe(0);

    const rotated = await cli('rotate-key', id, '--overlap', '60', '--json');
    expect(rotated.code, rotated.err).toBe(0);
    expect(JSON.parse(rotated.out).secret).toMatch(/^wdn_a_/);
    const keys = JSON.parse((await cli('keys', id, '--json')).out).keys as {
      id: string;
      revokedAt: string | null;
    }[];
    expect(keys).toHaveLength(2);
    const newest = keys.find((k) => k.id === JSON.parse(rotated.out).key.id);
    expect((await cli('revoke-key', id, newest?.id ?? '')).code).toBe(0);

    expect((await cli('retire', id, '--reason', 'done')).code).toBe(0);
    const again = await cli('suspend', id, '--reason', 'x');
    expect(again.code).toBe(1);
    expect(again.err).toContain('conflict');
  });
});

describe('warden migrate', () => {
  it('brings a new database to the latest schema, then finds it up to date', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'warden-migrate-'));
    const previous = process.env.WARDEN_DATA_DIR;
    process.env.WARDEN_DATA_DIR = dir;
    try {
      const outputs: string[] = [];
      const io = {
        out: (t: string) => outputs.push(t),
        err: (t: string) => outputs.push(t),
        color: false,
        cwd: dir,
      };
      expect(await run(['migrate'], io)).toBe(0);
      expect(outputs.join('')).toContain(
        'applied 0001-initial, 0002-agent-suspended-from, 0003-merkle-audit-log, 0004-approvals, 0005-budgets, 0006-audit-tamper-evidence, 0007-delegation-grants, 0008-mcp-servers, 0009-llm-providers, 0010-llm-shadow-runs, 0011-console-sessions, 0012-console-read-indexes, 0013-trust-tiers, 0014-task-history, 0015-step-up, 0016-policy-changes, 0017-recertification',
      );
      expect(await run(['migrate'], io)).toBe(0);
      expect(outputs.at(-1)).toContain('up to date (0017-recertification)');
    } finally {
      if (previous === undefined) delete process.env.WARDEN_DATA_DIR;
      else process.env.WARDEN_DATA_DIR = previous;
    }
  });
});
