import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addHuman, request } from '../../server/test/helpers/api.js';
import { seedAgent } from '../../server/test/helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../../server/test/helpers/test-node.js';
import { relative } from '../src/commands/approvals-format.js';
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
    - id: refund-small
      effect: allow
      tools: [payments.refund]
      when: args.amount <= 500
      reason: small refunds are fine
    - id: refund-review
      effect: review
      tools: [payments.refund]
      when: args.amount > 500
      reason: Refunds over $500 need a lead and finance
      approval:
        steps:
          - name: lead
            approvers: ["group:support-leads"]
          - name: finance
            approvers: ["group:finance"]
        timeout: 1h
    - id: payout-review
      effect: review
      tools: [payments.payout]
      reason: Payouts need two leads
      approval:
        approvers: ["group:support-leads"]
        required: 2
    - id: notes-review
      effect: review
      tools: [crm.notes.delete]
      reason: Deleted notes are reviewed afterwards
      approval:
        approvers: ["group:finance"]
        timeout: 30m
        onTimeout: escalate
        escalateTo: ["group:support-leads"]
        mode: post
`;

type Human = Awaited<ReturnType<typeof addHuman>>;

describe('warden approvals against a real server', () => {
  let t: TestNode;
  let url: string;
  let policyDir: string;
  let lead: Human;
  let onBehalf: Human;
  let finance: Human;
  let viewer: Human;
  let agent: Awaited<ReturnType<typeof seedAgent>>;

  beforeAll(async () => {
    policyDir = await mkdtemp(join(tmpdir(), 'warden-approvals-cli-'));
    await writeFile(join(policyDir, 'refunds.yaml'), POLICY);
    t = await startTestNode('sqlite', { policyDir, settings: { auditRedactPaths: ['$.args.card'] } });
    url = await t.node.listen();
    lead = await addHuman(t.node, ['approver']);
    onBehalf = await addHuman(t.node, ['approver']);
    finance = await addHuman(t.node, ['owner']);
    viewer = await addHuman(t.node, ['viewer']);
    for (const [name, members] of [
      ['support-leads', [lead.id, onBehalf.id]],
      ['finance', [finance.id]],
    ] as const) {
      const created = await request(t.node, 'POST', '/v1/groups', t.adminToken, { name, members });
      expect(created.statusCode, created.body).toBe(201);
    }
    agent = await seedAgent(t.node, { name: 'refund-bot', roles: ['support-assistant'] });
  });
  afterAll(async () => {
    await t.close();
    await rm(policyDir, { recursive: true, force: true });
  });

  async function cli(argv: string[], token = t.adminToken) {
    let out = '';
    let err = '';
    const code = await run(['approvals', ...argv, '--url', url, '--token', token], {
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
      color: false,
      cwd: policyDir,
    });
    return { code, out, err };
  }

  /** A refund the policy sends to review; answers the approval request's id. */
  let tasks = 0;
  async function refund(amount: number, key = agent.key): Promise<string> {
    const decided = await request(t.node, 'POST', '/v1/decide', key, {
      tool: 'payments.refund',
      args: { amount, order: 'ord-7', card: '4111 1111 1111 1111' },
      context: {
        taskId: `tsk-${++tasks}`,
        initiator: lead.email,
        onBehalfOf: onBehalf.email,
        interface: 'slack',
        reasoning: 'The customer was charged twice for order ord-7.',
        recommendation: 'Refund the duplicate charge.',
      },
    });
    expect(decided.statusCode, decided.body).toBe(200);
    const body = decided.json();
    expect(body.effect).toBe('review');
    return body.approvalRequest.id as string;
  }

  it('lists requests as a table with the key facts, filtered and paged', async () => {
    const id = await refund(900);
    const table = await cli(['list']);
    expect(table.code, table.err).toBe(0);
    const lines = table.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+KIND\s+MODE\s+STATUS\s+AGENT\s+TOOL\s+STEP\s+DEADLINE$/);
    const row = lines.find((line) => line.startsWith(id));
    expect(row).toMatch(
      /^apr_\w+\s+action\s+pre\s+pending\s+refund-bot\s+payments\.refund\s+lead 0\/1\s+in (1h|59m)$/,
    );

    // --mine: pending at a step I may decide; finance's step has not started yet.
    expect((await cli(['list', '--mine'], lead.token)).out).toContain(id);
    const notYet = await cli(['list', '--mine', '--agent', agent.agent.id], finance.token);
    expect(notYet.code).toBe(0);
    expect(notYet.out).not.toContain(id);

    // --agent: one agent's history only.
    const other = await seedAgent(t.node, { name: 'other-bot', roles: ['support-assistant'] });
    const otherId = await refund(700, other.key);
    const history = await cli(['list', '--agent', other.agent.id]);
    expect(history.out).toContain(otherId);
    expect(history.out).not.toContain(id);
    expect((await cli(['list', '--kind', 'registration'])).out).not.toContain(id);
    expect((await cli(['list', '--status', 'approved', '--agent', other.agent.id])).out).toBe(
      'no approvals match\n',
    );

    // One page at a time, with a hint; --all follows the cursor to the end.
    const page = await cli(['list', '--limit', '1']);
    expect(page.out.trimEnd().split('\n')).toHaveLength(2);
    expect(page.err).toMatch(/more approvals: run again with --all, or with --cursor apr_\w+/);
    const everything = JSON.parse((await cli(['list', '--json', '--limit', '200'])).out);
    const paged = await cli(['list', '--all', '--limit', '1', '--json']);
    expect(paged.code).toBe(0);
    expect(JSON.parse(paged.out).approvals.map((a: { id: string }) => a.id)).toEqual(
      everything.approvals.map((a: { id: string }) => a.id),
    );
  });

  it('shows everything needed to decide an action', async () => {
    const id = await refund(900);
    const shown = await cli(['show', id]);
    expect(shown.code, shown.err).toBe(0);
    const out = shown.out;
    expect(out).toContain(`${id}: action request, pending`);
    expect(out).toMatch(/agent:\s+refund-bot \(agt_\w+\), active/);
    expect(out).toMatch(/owner:\s+Administrator/);
    expect(out).toMatch(/trust:\s+tier monitored, risk internal \(low risk\)/);
    expect(out).toMatch(/tool:\s+payments\.refund/);
    expect(out).toContain('"amount": 900');
    expect(out).toContain('"card": "[REDACTED');
    expect(out).not.toContain('4111');
    expect(out).toMatch(/rule:\s+refund-review: Refunds over \$500 need a lead and finance/);
    expect(out).toMatch(/reasoning:\s+The customer was charged twice/);
    expect(out).toMatch(/recommendation:\s+Refund the duplicate charge\./);
    expect(out).toMatch(/spend:\s+\$\d+\.\d\d today, \$\d+\.\d\d this month, \d+ calls today/);
    expect(out).toMatch(/requested by:\s+agent refund-bot/);
    expect(out).toMatch(new RegExp(`on behalf of:\\s+Person \\d+ <${onBehalf.email}>`));
    expect(out).toMatch(/1\. lead\s+group:support-leads\s+0\/1\s+current/);
    expect(out).toMatch(/2\. finance\s+group:finance\s+0\/1\s+waiting/);
    expect(out).toMatch(new RegExp(`can decide now:\\s+Person \\d+ <${lead.email}>`));
    expect(out).toMatch(
      new RegExp(`may not decide:\\s+Person \\d+ <${onBehalf.email}>: the call is made on their behalf`),
    );
    expect(out).toMatch(/deadline:\s+\S+Z \(in (1h|59m)\)/);
    expect(out).toMatch(/on timeout:\s+expire: the request counts as denied/);
    expect(out).toMatch(/status:\s+pending: step lead needs 1 more approval/);

    // The approver sees that the decision is theirs.
    expect((await cli(['show', id], lead.token)).out).toContain(
      `may decide now: warden approvals approve|deny ${id}`,
    );
    const json = await cli(['show', id, '--json']);
    expect(JSON.parse(json.out)).toMatchObject({
      id,
      kind: 'action',
      status: 'pending',
      currentStep: 'lead',
    });
  });

  it('approves step by step, and refuses the wrong humans and a second decision', async () => {
    const id = await refund(900);
    const refusals = [
      [viewer.token, 'forbidden', "you are not an approver of step 'lead'"],
      [onBehalf.token, 'separation_of_duties', 'on your behalf'],
      [agent.key, 'separation_of_duties', 'agents never approve or deny'],
    ] as const;
    for (const [token, code, message] of refusals) {
      const refused = await cli(['approve', id], token);
      expect(refused.code).toBe(1);
      expect(refused.out).toBe('');
      expect(refused.err).toContain(message);
      expect(refused.err).toMatch(new RegExp(`^error: .*\\(${code}, request req_\\w+\\)\\n$`));
    }

    const first = await cli(['approve', id, '--comment', 'duplicate charge confirmed'], lead.token);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toBe(`${id} approved (step lead done; now at step finance)\n`);
    const again = await cli(['approve', id], lead.token);
    expect(again.code).toBe(1);
    expect(again.err).toContain('(separation_of_duties,');

    const last = await cli(['approve', id, '--comment', 'within budget', '--json'], finance.token);
    expect(last.code, last.err).toBe(0);
    expect(JSON.parse(last.out)).toMatchObject({ id, status: 'approved', decidedBy: finance.id });
    const late = await cli(['approve', id], viewer.token);
    expect(late.code).toBe(1);
    expect(late.err).toMatch(/already approved .*\(conflict, request req_\w+\)/);
    const lateDeny = await cli(['deny', id], finance.token);
    expect(lateDeny.code).toBe(1);
    expect(lateDeny.err).toContain('(conflict,');

    const shown = (await cli(['show', id])).out;
    expect(shown).toMatch(/1\. lead\s+group:support-leads\s+1\/1\s+done/);
    expect(shown).toMatch(/2\. finance\s+group:finance\s+1\/1\s+approved/);
    expect(shown).toContain(`approve by Person`);
    expect(shown).toContain('at step lead');
    expect(shown).toContain(': "duplicate charge confirmed"');
    expect(shown).toMatch(new RegExp(`status:\\s+approved by Person \\d+ <${finance.email}>`));
    expect(shown).toMatch(/comment:\s+within budget/);
    expect(shown).toMatch(/may run until:\s+\S+Z \(in (15m|14m)\)/);
    expect(shown).toMatch(/used:\s+not yet \(single use\)/);
    expect(shown).toContain('can decide now: nobody: the request is settled');
    expect(shown).toMatch(/on timeout:\s+nothing: the request is settled/);
    const listed = await cli(['list', '--status', 'approved']);
    const row = listed.out.split('\n').find((line) => line.startsWith(id));
    expect(row).toMatch(/action\s+pre\s+approved\s+refund-bot\s+payments\.refund\s+finance 1\/1\s+-$/);
  });

  it('completes a step with the last approval the rule requires', async () => {
    const id = await refund(900);
    expect((await cli(['approve', id], lead.token)).code).toBe(0);
    const done = await cli(['approve', id], finance.token);
    expect(done.out).toBe(`${id} approved (step finance done; request approved)\n`);
  });

  it('counts approvals towards a step that needs several', async () => {
    const decided = await request(t.node, 'POST', '/v1/decide', agent.key, {
      tool: 'payments.payout',
      args: { amount: 10 },
    });
    const id = decided.json().approvalRequest.id as string;
    const first = await cli(['approve', id], lead.token);
    expect(first.out).toBe(`${id} approved (step approval: 1/2 approvals; request still pending)\n`);
    expect((await cli(['show', id])).out).toMatch(/status:\s+pending: step approval needs 1 more approval$/m);
    const second = await cli(['approve', id], onBehalf.token);
    expect(second.out).toBe(`${id} approved (step approval done; request approved)\n`);
  });

  it('denies with a comment; the agent waits for the outcome', async () => {
    const id = await refund(900);
    const waiting = cli(['wait', id, '--timeout', '10'], agent.key);
    const denied = await cli(['deny', id, '--comment', 'refund already issued'], lead.token);
    expect(denied.code, denied.err).toBe(0);
    expect(denied.out).toBe(`${id} denied (step lead; request denied)\n`);
    const waited = await waiting;
    expect(waited.code).toBe(1);
    expect(waited.out).toBe(`${id} denied: refund already issued\n`);
  });

  it('waits as the agent until approved, or reports a request still pending', async () => {
    const id = await refund(900);
    const pending = await cli(['wait', id, '--timeout', '0'], agent.key);
    expect(pending.code).toBe(1);
    expect(pending.err).toMatch(new RegExp(`^${id} still pending after 0s \\(deadline in (1h|59m)\\)\\n$`));

    const waiting = cli(['wait', id, '--timeout', '10'], agent.key);
    await cli(['approve', id], lead.token);
    await cli(['approve', id, '--comment', 'go ahead'], finance.token);
    const waited = await waiting;
    expect(waited.code, waited.err).toBe(0);
    expect(waited.out).toMatch(new RegExp(`^${id} approved: go ahead \\(run it before \\S+Z\\)\\n$`));
    const json = await cli(['wait', id, '--json'], agent.key);
    expect(JSON.parse(json.out)).toMatchObject({ approval: { id, status: 'approved' }, timedOut: false });

    // Only the requesting agent may wait, and only with its key.
    const other = await seedAgent(t.node, { roles: ['support-assistant'] });
    const stranger = await cli(['wait', id, '--timeout', '0'], other.key);
    expect(stranger.code).toBe(1);
    expect(stranger.err).toContain('(not_found,');
    const human = await cli(['wait', id], lead.token);
    expect(human.code).toBe(2);
    expect(human.err).toContain("waiting needs the requesting agent's key");
  });

  it('shows access requests and registrations', async () => {
    const asked = await request(t.node, 'POST', '/v1/access-requests', agent.key, {
      tools: ['crm.export', 'crm.contacts.*'],
      justification: 'Quarterly churn analysis',
      durationSeconds: 7200,
    });
    expect(asked.statusCode, asked.body).toBe(201);
    const access = await cli(['show', asked.json().id]);
    expect(access.code, access.err).toBe(0);
    expect(access.out).toContain('access request, pending');
    expect(access.out).toMatch(/tools:\s+crm\.export, crm\.contacts\.\*/);
    expect(access.out).toMatch(/for:\s+2h \(7200s\) once granted/);
    expect(access.out).toMatch(/justification:\s+Quarterly churn analysis/);
    expect(access.out).toMatch(/1\. owner\s+user:Administrator <admin@localhost>\s+0\/1\s+current/);
    expect(access.out).toMatch(/can decide now:\s+Administrator <admin@localhost> \(you\)/);
    const listed = await cli(['list', '--kind', 'access']);
    expect(listed.out).toMatch(
      /access\s+pre\s+pending\s+refund-bot\s+crm\.export,crm\.contacts\.\*\s+owner 0\/1\s+in (3d|2d 23h)/,
    );

    const created = await request(t.node, 'POST', '/v1/agents', t.adminToken, {
      name: 'payroll-bot',
      ownerId: finance.id,
      purpose: 'Pays salaries',
      risk: 'financial',
      environments: ['production'],
    });
    expect(created.statusCode, created.body).toBe(201);
    const registrations = JSON.parse((await cli(['list', '--kind', 'registration', '--json'])).out);
    const registration = registrations.approvals.find(
      (a: { agentId: string }) => a.agentId === created.json().agent.id,
    );
    const shown = await cli(['show', registration.id]);
    expect(shown.out).toContain('registration request, pending');
    expect(shown.out).toMatch(/agent:\s+payroll-bot \(agt_\w+\), pending/);
    expect(shown.out).toMatch(/trust:\s+tier sandbox, risk financial \(high risk\)/);
    expect(shown.out).toMatch(/asks:\s+to register the agent above; approval makes it active/);
    expect(shown.out).toMatch(/1\. security\s+group:security\s+0\/1\s+current/);
    expect(shown.out).toMatch(/2\. legal\s+group:legal\s+0\/1\s+waiting/);
    expect(shown.out).toMatch(/may not decide:\s+Administrator <admin@localhost> \(you\): asked for it/);
  });

  it('shows an after-the-fact review that escalates on timeout', async () => {
    const decided = await request(t.node, 'POST', '/v1/decide', agent.key, {
      tool: 'crm.notes.delete',
      args: { note: 'n-1' },
    });
    expect(decided.statusCode, decided.body).toBe(200);
    const id = decided.json().approvalRequest.id as string;
    const shown = await cli(['show', id]);
    expect(shown.out).toMatch(/mode:\s+post: the call already ran; a rejection records an incident/);
    expect(shown.out).toMatch(/rule:\s+notes-review: Deleted notes are reviewed afterwards/);
    expect(shown.out).toMatch(/reasoning:\s+none given/);
    expect(shown.out).toMatch(/1\. approval\s+group:finance\s+0\/1\s+current/);
    expect(shown.out).toMatch(
      /on timeout:\s+escalate to the next escalation approver \(escalated 0 times so far\)/,
    );
    expect(shown.out).toMatch(/deadline:\s+\S+Z \(in (30m|29m)\)/);
    const row = (await cli(['list', '--mine'], finance.token)).out.split('\n').find((l) => l.startsWith(id));
    expect(row).toMatch(/action\s+post\s+pending\s+refund-bot\s+crm\.notes\.delete\s+approval 0\/1/);
  });

  it('answers not_found for a request the human may not see, and forbidden to an agent key', async () => {
    const id = await refund(900);
    const hidden = await cli(['show', id], viewer.token);
    expect(hidden.code).toBe(1);
    expect(hidden.err).toMatch(/not found \(not_found, request req_\w+\)/);
    const agentList = await cli(['list'], agent.key);
    expect(agentList.code).toBe(1);
    expect(agentList.err).toContain('(forbidden,');
  });

  it('rejects usage mistakes before sending anything (exit 2)', async () => {
    const id = await refund(900);
    const mistakes: [string[], string][] = [
      [['show'], 'approvals show: missing the approval id'],
      [['approve'], 'approvals approve: missing the approval id'],
      [['deny', 'apr_123'], 'approval id: expected apr_ followed by 26 characters, got "apr_123"'],
      [['show', id, 'extra'], 'approvals show: unexpected argument "extra"'],
      [['list', '--bogus'], "Unknown option '--bogus'"],
      [['approve', id, '--comment'], "Option '--comment' argument is ambiguous"],
      [['approve', id, '--comment', ' '], '--comment: must not be empty'],
      [['approve', id, '--comment', 'x'.repeat(2001)], '--comment: at most 2000 characters'],
      [
        ['list', '--status', 'done'],
        '--status: expected one of pending, approved, denied, expired, cancelled',
      ],
      [['list', '--kind', 'tool'], '--kind: expected one of action, access, registration, promotion'],
      [['list', '--agent', 'usr_x'], '--agent: expected agt_'],
      [['list', '--limit', '0'], '--limit: expected a positive integer'],
      [['list', '--mine', '--status', 'approved'], '--mine lists pending requests'],
      [['wait', id, '--timeout=-1'], '--timeout: expected a non-negative integer'],
      [['wait', id, '--timeout', 'soon'], '--timeout: expected a non-negative integer'],
      [['frobnicate'], 'unknown command "approvals frobnicate"'],
    ];
    for (const [argv, message] of mistakes) {
      const result = await cli(argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.err).toContain(message);
      expect(result.out).toBe('');
    }
    // No token anywhere: a usage error too, before anything is sent.
    vi.stubEnv('WARDEN_TOKEN', '');
    try {
      let err = '';
      const io = { out: () => {}, err: (text: string) => (err += text), color: false, cwd: policyDir };
      expect(await run(['approvals', 'list', '--url', url], io)).toBe(2);
      expect(err).toContain('no token');
    } finally {
      vi.unstubAllEnvs();
    }
    // Nothing was decided by the mistakes above.
    expect(JSON.parse((await cli(['show', id, '--json'])).out).votes).toEqual([]);
  });

  it('prints help', async () => {
    const io = () => {
      const output = { out: '', err: '' };
      return {
        output,
        io: {
          out: (text: string) => {
            output.out += text;
          },
          err: (text: string) => {
            output.err += text;
          },
          color: false,
          cwd: policyDir,
        },
      };
    };
    const bare = io();
    expect(await run(['approvals'], bare.io)).toBe(2);
    expect(bare.output.out).toContain('Usage: warden approvals <command>');
    const help = io();
    expect(await run(['approvals', '--help'], help.io)).toBe(0);
    expect(help.output.out).toContain('wait <apr_id>');
    const sub = io();
    expect(await run(['approvals', 'approve', '--help'], sub.io)).toBe(0);
    expect(sub.output.out).toContain('--comment <text>');
    expect(sub.output.out).toContain('--token <token>');
    const top = io();
    expect(await run(['--help'], top.io)).toBe(0);
    expect(top.output.out).toContain('approvals <command>');
  });
});

describe('relative deadlines', () => {
  const now = Date.parse('2026-03-02T10:00:00.000Z');
  const at = (seconds: number) => new Date(now + seconds * 1000).toISOString();

  it('reads as a person scans a queue', () => {
    expect(relative(at(720), now)).toBe('in 12m');
    expect(relative(at(-180), now)).toBe('3m ago');
    expect(relative(at(45), now)).toBe('in 45s');
    expect(relative(at(0.2), now)).toBe('now');
    expect(relative(at(3600), now)).toBe('in 1h');
    expect(relative(at(3900), now)).toBe('in 1h 5m');
    expect(relative(at(3 * 86_400), now)).toBe('in 3d');
    expect(relative(at(-(2 * 86_400 + 3 * 3600)), now)).toBe('2d 3h ago');
    expect(relative(null, now)).toBe('-');
    expect(relative('soon', now)).toBe('-');
  });
});
