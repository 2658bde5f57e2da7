import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHuman, request } from '../../server/test/helpers/api.js';
import { seedAgent } from '../../server/test/helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../../server/test/helpers/test-node.js';
import { run } from '../src/index.js';

/** Nothing listens here: a command that got this far would fail with exit 1, not 2. */
const NO_SERVER = 'http://127.0.0.1:9';
const MISSING_BUDGET = `bgt_${'0'.repeat(26)}`;

describe('warden budgets against a real server', () => {
  let t: TestNode;
  let url: string;
  let dir: string;
  let viewer: Awaited<ReturnType<typeof addHuman>>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-budgets-cli-'));
    t = await startTestNode('sqlite');
    url = await t.node.listen();
    viewer = await addHuman(t.node, ['viewer']);
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function cli(argv: string[], options: { token?: string; url?: string } = {}) {
    let out = '';
    let err = '';
    const code = await run(
      ['budgets', ...argv, '--url', options.url ?? url, '--token', options.token ?? t.adminToken],
      {
        out: (text) => {
          out += text;
        },
        err: (text) => {
          err += text;
        },
        color: false,
        cwd: dir,
      },
    );
    return { code, out, err };
  }

  /** The table row that starts with this id (or name), split on the column gaps. */
  function rowOf(table: string, start: string): string[] | undefined {
    const line = table.split('\n').find((l) => l.startsWith(start) || l.split(/\s{2,}/)[1] === start);
    return line?.split(/\s{2,}/);
  }

  async function budgetsList(): Promise<{ id: string; name: string; source: string }[]> {
    const listed = await cli(['list', '--json']);
    expect(listed.code, listed.err).toBe(0);
    return JSON.parse(listed.out).budgets;
  }

  it('lists the built-in tier defaults as config budgets', async () => {
    const listed = await cli(['list']);
    expect(listed.code, listed.err).toBe(0);
    const [header] = listed.out.split('\n');
    expect(header).toMatch(/^ID\s+NAME\s+SCOPE\s+PERIOD\s+UNIT\s+LIMIT\s+AT LIMIT\s+THRESHOLDS\s+SOURCE$/);
    const limits = { sandbox: '$100.00', monitored: '$500.00', trusted: '$1,000.00' };
    for (const [tier, limit] of Object.entries(limits)) {
      const row = rowOf(listed.out, `${tier}-daily-usd`);
      expect(row?.slice(1)).toEqual([
        `${tier}-daily-usd`,
        `agent (tier ${tier})`,
        'day',
        'usd',
        limit,
        'deny',
        expect.stringMatching(/^[\d,]+%$|^none$/),
        'config',
      ]);
      expect(row?.[0]).toMatch(/^bgt_[0-9a-z]{26}$/);
    }
    const json = await budgetsList();
    expect(json.filter((b) => b.source === 'config').map((b) => b.name)).toEqual(
      expect.arrayContaining(['sandbox-daily-usd', 'monitored-daily-usd', 'trusted-daily-usd']),
    );
  });

  it('creates a budget, lists and shows it, and shows an agent its spend after a decision', async () => {
    const { agent, key } = await seedAgent(t.node, { name: 'spend-bot', roles: ['support-assistant'] });
    const created = await cli([
      'set',
      '--name',
      'spend-bot-daily',
      '--scope',
      'agent',
      '--agent',
      agent.id,
      '--period',
      'day',
      '--unit',
      'usd',
      '--limit',
      '10',
      '--thresholds',
      '50,90',
    ]);
    expect(created.code, created.err).toBe(0);
    const id = /^created budget (bgt_\w+) \(spend-bot-daily\)$/m.exec(created.out)?.[1] ?? '';
    expect(id).not.toBe('');
    expect(created.out).toContain(`scope:         agent (${agent.id})`);
    expect(created.out).toContain('limit:         $10.00');
    expect(created.out).toContain('thresholds:    50,90%');

    const listed = await cli(['list']);
    expect(rowOf(listed.out, id)).toEqual([
      id,
      'spend-bot-daily',
      `agent (${agent.id})`,
      'day',
      'usd',
      '$10.00',
      'deny',
      '50,90%',
      'api',
    ]);

    const decided = await request(t.node, 'POST', '/v1/decide', key, {
      tool: 'kb.articles.search',
      args: {},
      estimate: { usd: 2 },
    });
    expect(decided.statusCode, decided.body).toBe(200);
    expect(decided.json().effect).toBe('allow');

    const mine = await cli(['agent', agent.id]);
    expect(mine.code, mine.err).toBe(0);
    const lines = mine.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^BUDGET\s+SCOPE\s+PERIOD\s+COUNTER\s+USED \/ LIMIT\s+%\s+REMAINING\s+WINDOW END$/,
    );
    // The budget naming the agent overrides its tier's daily usd default: one row, with the estimate.
    expect(lines).toHaveLength(2);
    const row = rowOf(mine.out, 'spend-bot-daily');
    expect(row?.slice(0, 7)).toEqual([
      'spend-bot-daily',
      `agent (${agent.id})`,
      'day',
      agent.id,
      '$2.00 / $10.00',
      '20%',
      '$8.00',
    ]);
    expect(row?.[7]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in \d+[hm]( \d+m)?\)$/);

    const agentJson = await cli(['agent', agent.id, '--json']);
    expect(JSON.parse(agentJson.out).budgets).toEqual([
      expect.objectContaining({ counter: agent.id, used: 2, remaining: 8, percent: 20 }),
    ]);

    const shown = await cli(['show', id]);
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toContain(`id:            ${id}\nname:          spend-bot-daily\n`);
    expect(shown.out).toContain('source:        api\n');
    expect(shown.out).toMatch(/COUNTER\s+USED \/ LIMIT\s+%\s+REMAINING\s+WINDOW END\n/);
    expect(rowOf(shown.out, agent.id)?.slice(0, 4)).toEqual([agent.id, '$2.00 / $10.00', '20%', '$8.00']);
    const shownJson = JSON.parse((await cli(['show', id, '--json', '--counters', '1'])).out);
    expect(shownJson.budget).toMatchObject({ id, name: 'spend-bot-daily', limit: 10 });
    expect(shownJson.counters).toHaveLength(1);
  });

  it('updates and deletes an API budget', async () => {
    const created = await cli([
      'set',
      '--name',
      'team-tokens',
      '--scope',
      'role',
      '--role',
      'support-assistant',
      '--period',
      'week',
      '--unit',
      'tokens',
      '--limit',
      '100000',
      '--json',
    ]);
    expect(created.code, created.err).toBe(0);
    const budget = JSON.parse(created.out);
    expect(budget).toMatchObject({ scope: 'role', role: 'support-assistant', limit: 100000, source: 'api' });

    const updated = await cli([
      'update',
      budget.id,
      '--limit',
      '250000',
      '--thresholds',
      'none',
      '--at-limit',
      'alert',
      '--name',
      'team-tokens-weekly',
    ]);
    expect(updated.code, updated.err).toBe(0);
    expect(updated.out).toContain(`updated budget ${budget.id} (team-tokens-weekly)\n`);
    expect(updated.out).toContain('limit:         250,000\n');
    expect(updated.out).toContain('at limit:      alert\n');
    expect(updated.out).toContain('thresholds:    none\n');
    expect(rowOf((await cli(['list'])).out, budget.id)).toEqual([
      budget.id,
      'team-tokens-weekly',
      'role (support-assistant)',
      'week',
      'tokens',
      '250,000',
      'alert',
      'none',
      'api',
    ]);

    const agentBudget = JSON.parse(
      (
        await cli([
          'set',
          '--name',
          'every-agent-calls',
          '--scope',
          'agent',
          '--period',
          'hour',
          '--unit',
          'calls',
          '--limit',
          '50',
          '--suspend',
          '--json',
        ])
      ).out,
    );
    expect(agentBudget.suspendAgent).toBe(true);
    expect((await cli(['list'])).out).toContain('deny + suspend');
    const unsuspended = await cli(['update', agentBudget.id, '--no-suspend', '--json']);
    expect(JSON.parse(unsuspended.out).suspendAgent).toBe(false);

    const deleted = await cli(['delete', budget.id]);
    expect(deleted.code, deleted.err).toBe(0);
    expect(deleted.out).toBe(`deleted budget ${budget.id} (team-tokens-weekly)\n`);
    expect((await budgetsList()).map((b) => b.id)).not.toContain(budget.id);
    const again = await cli(['delete', budget.id]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^error: .*not found.* \(not_found, request req_\w+\)\n$/);
  });

  it('refuses to change or delete a config budget with the server message', async () => {
    const config = (await budgetsList()).find((b) => b.name === 'sandbox-daily-usd');
    expect(config).toBeDefined();
    const id = config?.id ?? '';
    const updated = await cli(['update', id, '--limit', '5']);
    expect(updated.code).toBe(1);
    expect(updated.out).toBe('');
    expect(updated.err).toMatch(
      /^error: budget sandbox-daily-usd is managed by the budgets file \(WARDEN_BUDGETS_FILE\); change it there \(conflict, request req_\w+\)\n$/,
    );
    const deleted = await cli(['delete', id]);
    expect(deleted.code).toBe(1);
    expect(deleted.err).toContain('is managed by the budgets file');
    expect((await budgetsList()).find((b) => b.id === id)).toMatchObject({ name: 'sandbox-daily-usd' });
  });

  it('prints the server error for a refused or unknown request', async () => {
    const denied = await cli(
      [
        'set',
        '--name',
        'viewer-try',
        '--scope',
        'tenant',
        '--period',
        'day',
        '--unit',
        'usd',
        '--limit',
        '5',
      ],
      { token: viewer.token },
    );
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/\(forbidden, request req_\w+\)\n$/);
    expect((await budgetsList()).map((b) => b.name)).not.toContain('viewer-try');
    // Reading is for every human.
    expect((await cli(['list'], { token: viewer.token })).code).toBe(0);

    const missing = await cli(['show', MISSING_BUDGET]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('(not_found');

    const taken = await cli([
      'set',
      '--name',
      'sandbox-daily-usd',
      '--scope',
      'tenant',
      '--period',
      'day',
      '--unit',
      'usd',
      '--limit',
      '5',
    ]);
    expect(taken.code).toBe(1);
    expect(taken.err).toContain('a budget named sandbox-daily-usd already exists (conflict');
  });

  it('refuses bad arguments naming the flag, without calling the server', async () => {
    const base = [
      'set',
      '--name',
      'x',
      '--scope',
      'agent',
      '--period',
      'day',
      '--unit',
      'usd',
      '--limit',
      '5',
    ];
    const cases: [string[], string][] = [
      [
        ['set', '--scope', 'agent', '--period', 'day', '--unit', 'usd', '--limit', '5'],
        'budgets set: --name is required',
      ],
      [
        [...base.slice(0, 3), '--scope', 'galaxy', ...base.slice(5)],
        '--scope: expected one of agent, task, role, tenant, got "galaxy"',
      ],
      [[...base.slice(0, 9), '--limit=-5'], '--limit: expected a number above 0'],
      [[...base.slice(0, 9), '--limit', '-5'], "Option '--limit' argument is ambiguous"],
      [[...base.slice(0, 9), '--limit', 'ten'], '--limit: expected a number above 0'],
      [
        ['set', '--name', 'x', '--scope', 'agent', '--period', 'day', '--unit', 'tokens', '--limit', '1.5'],
        '--limit: expected a whole number of tokens',
      ],
      [[...base, '--thresholds', '50,150'], '--thresholds: expected comma-separated percentages'],
      [[...base, '--at-limit', 'explode'], '--at-limit: expected one of deny, alert, got "explode"'],
      [[...base, '--agent', 'bob'], '--agent: expected agt_ followed by 26 characters, got "bob"'],
      [[...base, '--role', 'ops'], '--role: only a budget with --scope role names a role'],
      [[...base, '--tier', 'gold'], '--tier: expected one of sandbox, monitored, trusted, got "gold"'],
      [
        ['set', '--name', 'x', '--scope', 'role', '--period', 'day', '--unit', 'usd', '--limit', '5'],
        'budgets set --scope role: --role is required',
      ],
      [
        [
          'set',
          '--name',
          'x',
          '--scope',
          'tenant',
          '--period',
          'day',
          '--unit',
          'usd',
          '--limit',
          '5',
          '--suspend',
        ],
        '--suspend: a tenant budget cannot suspend an agent',
      ],
      [
        ['set', '--name', 'x', '--scope', 'agent', '--period', 'task', '--unit', 'usd', '--limit', '5'],
        '--period: task is the period of --scope task budgets only',
      ],
      [
        ['set', '--name', 'Bad Name', '--scope', 'agent', '--period', 'day', '--unit', 'usd', '--limit', '5'],
        '--name: expected 1-63 lower-case letters',
      ],
      [['update', MISSING_BUDGET], 'budgets update: nothing to change'],
      [
        ['update', MISSING_BUDGET, '--suspend', '--no-suspend'],
        '--suspend and --no-suspend: give one of them, not both',
      ],
      [
        ['update', 'bgt_nope', '--limit', '5'],
        'budget id: expected bgt_ followed by 26 characters, got "bgt_nope"',
      ],
      [['show'], 'budgets show: missing the budget id (bgt_…)'],
      [
        ['show', MISSING_BUDGET, '--counters', '0'],
        '--counters: expected a whole number from 1 to 500, got "0"',
      ],
      [['agent', 'agt_x'], 'agent id: expected agt_ followed by 26 characters, got "agt_x"'],
      [['delete', MISSING_BUDGET, 'extra'], 'budgets delete: unexpected argument "extra"'],
      [['list', '--colour'], "Unknown option '--colour'"],
      [['frobnicate'], 'unknown command "budgets frobnicate"'],
      [
        [
          'rate-limits',
          'set',
          '--name',
          'r',
          '--scope',
          'tool',
          '--max-calls',
          '5',
          '--window-seconds',
          '60',
        ],
        'budgets rate-limits set --scope tool: --tool is required',
      ],
      [
        [
          'rate-limits',
          'set',
          '--name',
          'r',
          '--scope',
          'agent',
          '--tool',
          'crm.*',
          '--max-calls',
          '5',
          '--window-seconds',
          '60',
        ],
        '--tool: applies to --scope tool only',
      ],
      [
        [
          'rate-limits',
          'set',
          '--name',
          'r',
          '--scope',
          'agent',
          '--max-calls',
          '0',
          '--window-seconds',
          '60',
        ],
        '--max-calls: expected a whole number from 1 to 10000000, got "0"',
      ],
      [
        [
          'rate-limits',
          'set',
          '--name',
          'r',
          '--scope',
          'agent',
          '--max-calls',
          '5',
          '--window-seconds',
          '1w',
        ],
        '--window-seconds: expected a whole number from 1 to 604800, got "1w"',
      ],
      [['rate-limits', 'update', `rtl_${'0'.repeat(26)}`], 'budgets rate-limits update: nothing to change'],
      [['rate-limits', 'delete', MISSING_BUDGET], 'rate limit id: expected rtl_ followed by 26 characters'],
    ];
    for (const [argv, message] of cases) {
      const result = await cli(argv, { url: NO_SERVER });
      expect(result.code, `${argv.join(' ')}: ${result.err}`).toBe(2);
      expect(result.err, argv.join(' ')).toContain(message);
      expect(result.out).toBe('');
    }
  });

  it('prints help', async () => {
    let bare = '';
    const io = { out: (s: string) => (bare += s), err: () => undefined, color: false, cwd: dir };
    expect(await run(['budgets'], io)).toBe(2);
    expect(bare).toContain('Usage: warden budgets <command>');
    const setHelp = await cli(['set', '--help']);
    expect(setHelp.code).toBe(0);
    expect(setHelp.out).toContain('--at-limit <action>');
    expect(setHelp.out).toContain('Connection (every budgets command)');
    const nested = await cli(['rate-limits', '--help']);
    expect(nested.code).toBe(0);
    expect(nested.out).toContain('Usage: warden budgets rate-limits <command>');
    bare = '';
    expect(await run(['--help'], io)).toBe(0);
    expect(bare).toContain('budgets <command>');
  });

  it('creates, lists, updates and deletes rate limits', async () => {
    const { agent } = await seedAgent(t.node, { name: 'rate-bot' });
    const created = await cli([
      'rate-limits',
      'set',
      '--name',
      'crm-per-agent',
      '--scope',
      'tool',
      '--tool',
      'crm.*',
      '--agent',
      agent.id,
      '--max-calls',
      '100',
      '--window-seconds',
      '3600',
    ]);
    expect(created.code, created.err).toBe(0);
    const id =
      /^created rate limit (rtl_\w+) crm-per-agent: 100 calls of crm\.\* per 3600s \(1h\), tool \(agt_\w+\)$/m.exec(
        created.out,
      )?.[1];
    expect(id).toBeDefined();

    const listed = await cli(['rate-limits', 'list']);
    expect(listed.code, listed.err).toBe(0);
    expect(listed.out.split('\n')[0]).toMatch(/^ID\s+NAME\s+SCOPE\s+TOOL\s+MAX CALLS\s+WINDOW\s+SOURCE$/);
    expect(rowOf(listed.out, id ?? '')).toEqual([
      id,
      'crm-per-agent',
      `tool (${agent.id})`,
      'crm.*',
      '100',
      '3600s (1h)',
      'api',
    ]);
    const json = JSON.parse((await cli(['rate-limits', 'list', '--json'])).out);
    expect(json.rateLimits).toEqual([expect.objectContaining({ id, maxCalls: 100, windowSeconds: 3600 })]);

    const updated = await cli([
      'rate-limits',
      'update',
      id ?? '',
      '--agent',
      'none',
      '--tier',
      'sandbox',
      '--max-calls',
      '20',
    ]);
    expect(updated.code, updated.err).toBe(0);
    expect(updated.out).toBe(
      `updated rate limit ${id} crm-per-agent: 20 calls of crm.* per 3600s (1h), tool (tier sandbox)\n`,
    );

    const refused = await cli(['rate-limits', 'update', id ?? '', '--scope', 'agent']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(
      /^error: body\.tool: applies to scope tool only \(invalid_request, request req_\w+\)\n$/,
    );
    const rescoped = await cli(['rate-limits', 'update', id ?? '', '--scope', 'agent', '--tool', 'none']);
    expect(rescoped.code, rescoped.err).toBe(0);
    expect(rescoped.out).toBe(
      `updated rate limit ${id} crm-per-agent: 20 calls per 3600s (1h), agent (tier sandbox)\n`,
    );

    const deleted = await cli(['rate-limits', 'delete', id ?? '', '--json']);
    expect(deleted.code, deleted.err).toBe(0);
    expect(JSON.parse(deleted.out).rateLimit).toMatchObject({
      id,
      name: 'crm-per-agent',
      scope: 'agent',
      tool: null,
    });
    const empty = await cli(['rate-limits', 'list']);
    expect(empty.out).toBe('no rate limits\n');
  });
});
