import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { addHuman } from '../../server/test/helpers/api.js';
import { startTestNode, type TestNode } from '../../server/test/helpers/test-node.js';
import { EVERYTHING_SERVER, writeGatewayFiles } from '../../server/test/mcp/mcp-fixtures.js';
import { run } from '../src/index.js';

/** Nothing listens here: a command that got past its checks fails with exit 1, not 2. */
const NO_SERVER = 'http://127.0.0.1:9';
/** A secret as the tests hand it to the CLI, through the environment only. */
const SECRET = 'Bearer sk-test-do-not-print-0123456789';

let scratch: string;

async function raw(argv: string[], cwd = scratch) {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => (out += t), err: (t) => (err += t), color: false, cwd });
  return { code, out, err };
}

describe('warden mcp servers: arguments checked before anything is sent', () => {
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'warden-mcp-servers-'));
    await writeFile(join(scratch, 'entry.json'), JSON.stringify({ name: 'search', transport: 'http' }));
    await writeFile(
      join(scratch, 'other.yaml'),
      'name: other\ntransport: http\nurl: https://x.example/mcp\n',
    );
    await writeFile(join(scratch, 'bad.json'), '{"name": ');
    await writeFile(join(scratch, 'bad.yaml'), 'name: [unclosed\n');
    await writeFile(join(scratch, 'list.yaml'), '- name: search\n');
    await writeFile(join(scratch, 'entry.txt'), '{}');
    await writeFile(join(scratch, 'patch.yaml'), 'transport: http\nurl: https://x.example/mcp\n');
    await writeFile(join(scratch, 'empty.json'), '{"name": "search"}');
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });
  beforeEach(() => {
    vi.stubEnv('WARDEN_URL', '');
    vi.stubEnv('WARDEN_TOKEN', '');
    vi.stubEnv('SEARCH_AUTH', SECRET);
    vi.stubEnv('GITHUB_TOKEN', SECRET);
    vi.stubEnv('EMPTY_VAR', '');
    vi.stubEnv('NOT_SET_ANYWHERE', undefined);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  const servers = (...argv: string[]) => raw(['mcp', 'servers', ...argv, '--url', NO_SERVER, '--token', 't']);

  async function usage(argv: string[], message: string | RegExp) {
    const { code, out, err } = await servers(...argv);
    expect(out).toBe('');
    expect(code, err).toBe(2);
    const line = err.split('\n')[0] ?? '';
    if (typeof message === 'string') expect(line).toContain(message);
    else expect(line).toMatch(message);
    expect(err).not.toContain(SECRET);
  }

  it('prints its help, and is listed in warden --help and warden mcp --help', async () => {
    const help = await raw(['mcp', 'servers', '--help']);
    expect(help.code).toBe(0);
    for (const sub of ['list', 'tools <name>', 'add <name>', 'update <name>', 'remove <name>'])
      expect(help.out).toContain(sub);
    expect((await raw(['mcp', 'servers'])).code).toBe(2);
    expect((await raw(['mcp', '--help'])).out).toMatch(/servers <command>/);
    expect((await raw(['--help'])).out).toMatch(/mcp servers <command>/);
    const add = await raw(['mcp', 'servers', 'add', '--help']);
    for (const flag of Object.keys({
      '--upstream-url': 1,
      '--command': 1,
      '--arg': 1,
      '--env': 1,
      '--secret-env': 1,
      '--header': 1,
      '--secret-header': 1,
      '--cwd': 1,
      '--timeout': 1,
      '--estimate': 1,
      '--file': 1,
      '--url': 1,
      '--token': 1,
      '--json': 1,
    }))
      expect(add.out).toContain(flag);
    const update = await raw(['mcp', 'servers', 'update', '--help']);
    expect(update.out).toContain('--unset-env');
    expect(update.out).toContain('--unset-header');
  });

  it('refuses an unknown subcommand, a missing or malformed name and an extra argument', async () => {
    await usage(['nope'], 'unknown command "mcp servers nope"');
    for (const sub of ['tools', 'add', 'update', 'remove'])
      await usage([sub], `mcp servers ${sub}: missing the server name`);
    for (const bad of ['Search', 'a.b', '_x', 'x'.repeat(41)])
      await usage(['remove', bad], 'server name: expected 1-40');
    await usage(['tools', 'everything', 'extra'], 'mcp servers tools: unexpected argument "extra"');
    await usage(['list', 'extra'], 'mcp servers list: unexpected argument "extra"');
    await usage(['add', 'search', '--bogus'], /Unknown option '--bogus'/);
  });

  it('add: one transport, and only its flags', async () => {
    await usage(['add', 'search'], 'give --upstream-url <url> (an http server) or --command <cmd>');
    const hint = await raw(['mcp', 'servers', 'add', 'search', '--url', 'https://mcp.example/mcp']);
    expect(hint.code).toBe(2);
    expect(hint.err).toContain('(--url is the Warden server)');
    await usage(
      ['add', 'search', '--upstream-url', 'https://x.example/mcp', '--command', 'npx'],
      'give --upstream-url or --command, not both',
    );
    const http = ['add', 'search', '--upstream-url', 'https://x.example/mcp'];
    await usage([...http, '--arg=-y'], '--arg: applies to stdio servers (--command) only');
    await usage([...http, '--env', 'A=b'], '--env: applies to stdio servers');
    await usage([...http, '--secret-env', 'GITHUB_TOKEN'], '--secret-env: applies to stdio servers');
    await usage([...http, '--cwd', '/srv'], '--cwd: applies to stdio servers');
    const stdio = ['add', 'github', '--command', 'npx'];
    await usage(
      [...stdio, '--header', 'X-Team=a'],
      '--header: applies to http servers (--upstream-url) only',
    );
    await usage(
      [...stdio, '--secret-header', 'Authorization=SEARCH_AUTH'],
      '--secret-header: applies to http',
    );
  });

  it('add: checks the URL, the command, the working directory, the timeout and the estimates', async () => {
    const http = (...rest: string[]) => ['add', 'search', ...rest];
    await usage(http('--upstream-url', 'not a url'), '--upstream-url: expected an absolute http(s) URL');
    await usage(http('--upstream-url', 'ftp://x.example/'), '--upstream-url: expected an http or https URL');
    await usage(
      http('--upstream-url', 'https://u:p@x.example/mcp'),
      '--upstream-url: must not carry credentials',
    );
    const stdio = (...rest: string[]) => ['add', 'github', '--command', 'npx', ...rest];
    await usage(['add', 'github', '--command', ' '], '--command: must not be empty');
    await usage(['add', 'github', '--command', 'x'.repeat(4097)], '--command: at most 4096 characters');
    await usage(stdio('--arg', 'a\u0000b'), '--arg: must not contain NUL characters');
    await usage(stdio(...Array.from({ length: 101 }, () => ['--arg', 'a']).flat()), '--arg: at most 100');
    await usage(stdio('--cwd', 'srv/mcp'), '--cwd: expected an absolute path');
    for (const bad of ['0', 'abc', '3601', '-1'])
      await usage(stdio(`--timeout=${bad}`), '--timeout: expected a number of seconds from 1 to 3600');
    await usage(stdio('--estimate', 'create_issue'), '--estimate: expected <tool>=<usd>');
    await usage(stdio('--estimate', '=0.1'), '--estimate: expected <tool>=<usd>');
    await usage(
      stdio('--estimate', 'create_issue=lots'),
      '--estimate create_issue: expected a number of USD',
    );
    await usage(
      stdio('--estimate', 'create_issue=2000000'),
      '--estimate create_issue: expected a number of USD',
    );
    await usage(stdio('--estimate', 'a=1', '--estimate', 'a=2'), '--estimate: "a" is given twice');
  });

  it('add: plain and secret values, secrets read only from the environment', async () => {
    const stdio = (...rest: string[]) => ['add', 'github', '--command', 'npx', ...rest];
    const http = (...rest: string[]) => ['add', 'search', '--upstream-url', 'https://x.example/mcp', ...rest];
    await usage(stdio('--env', 'NOVALUE'), '--env: expected NAME=value, got "NOVALUE"');
    await usage(stdio('--env', '=x'), '--env: expected NAME=value');
    await usage(stdio('--env', '1BAD=x'), '--env: "1BAD" is not an environment variable name');
    await usage(stdio('--env', 'A='), '--env A: the value must not be empty');
    await usage(stdio('--env', 'A=1', '--env', 'A=2'), '--env: "A" is given twice');
    await usage(
      stdio('--env', 'GITHUB_TOKEN=x', '--secret-env', 'GITHUB_TOKEN'),
      '--secret-env: "GITHUB_TOKEN" is given twice (also by --env)',
    );
    await usage(
      stdio('--secret-env', 'NOT_SET_ANYWHERE'),
      'the environment variable NOT_SET_ANYWHERE is not set',
    );
    await usage(
      stdio('--secret-env', 'TOKEN=NOT_SET_ANYWHERE'),
      '--secret-env TOKEN: the environment variable NOT_SET_ANYWHERE is not set (the secret is read from it, never from the command line)',
    );
    await usage(
      stdio('--secret-env', 'TOKEN=EMPTY_VAR'),
      '--secret-env TOKEN: the environment variable EMPTY_VAR is empty',
    );
    await usage(
      stdio('--secret-env', 'TOKEN=not-a-var'),
      '--secret-env TOKEN: "not-a-var" is not an environment variable name',
    );
    await usage(stdio('--secret-env', '=GITHUB_TOKEN'), '--secret-env: expected NAME or NAME=VAR');
    await usage(
      stdio('--secret-env', 'bad-name'),
      '--secret-env: "bad-name" is not an environment variable name',
    );
    await usage(http('--header', 'X-Team'), '--header: expected NAME=value');
    await usage(http('--header', 'Bad Header=x'), '--header: "Bad Header" is not an HTTP header name');
    await usage(
      http('--header', 'authorization=x', '--secret-header', 'Authorization=SEARCH_AUTH'),
      '--secret-header: "Authorization" is given twice (also by --header)',
    );
    await usage(http('--secret-header', 'Authorization'), '--secret-header: expected NAME=VAR');
    await usage(
      http('--secret-header', 'Authorization=NOT_SET_ANYWHERE'),
      '--secret-header Authorization: the environment variable NOT_SET_ANYWHERE is not set',
    );
  });

  it('add --file: a JSON or YAML entry, alone, whose name matches', async () => {
    const add = (file: string, ...rest: string[]) => ['add', 'search', '--file', file, ...rest];
    await usage(
      add('entry.json', '--timeout', '5'),
      'mcp servers add: --file holds the whole entry; give it without --timeout',
    );
    await usage(add('entry.txt'), '--file: expected a .json, .yaml or .yml file');
    await usage(add('missing.json'), '--file missing.json: no such file');
    await usage(add('bad.json'), '--file bad.json: not valid JSON');
    await usage(add('bad.yaml'), '--file bad.yaml: not valid YAML');
    await usage(add('list.yaml'), '--file list.yaml: expected one server entry');
    await usage(add('other.yaml'), '--file other.yaml: its name is "other", not "search"');
  });

  it('update: something to change, one transport, unset names not also set', async () => {
    await usage(['update', 'search'], 'mcp servers update: nothing to change; give at least one of');
    await usage(
      ['update', 'search', '--upstream-url', 'https://x.example/mcp', '--command', 'npx'],
      'give --upstream-url or --command, not both',
    );
    await usage(
      ['update', 'search', '--header', 'X-A=1', '--env', 'A=1'],
      '--header: applies to http servers, --env to stdio servers',
    );
    await usage(
      ['update', 'search', '--unset-header', 'X-A', '--arg', 'a'],
      '--unset-header: applies to http servers, --arg to stdio servers',
    );
    await usage(
      ['update', 'search', '--unset-env', 'bad-name'],
      '--unset-env: "bad-name" is not an environment variable name',
    );
    await usage(
      ['update', 'search', '--unset-header', 'Bad Header'],
      '--unset-header: "Bad Header" is not an HTTP header name',
    );
    await usage(
      ['update', 'search', '--env', 'A=1', '--unset-env', 'A'],
      '--unset-env: "A" is also set; set it or remove it',
    );
    await usage(
      ['update', 'search', '--secret-header', 'Authorization=SEARCH_AUTH', '--unset-header', 'authorization'],
      '--unset-header: "authorization" is also set',
    );
    await usage(
      ['update', 'search', '--unset-env', 'A', '--unset-env', 'A'],
      '--unset-env: "A" is given twice',
    );
    await usage(['update', 'search', '--timeout', '0'], '--timeout: expected a number of seconds');
    await usage(['update', 'search', '--secret-env', 'NOT_SET_ANYWHERE'], 'NOT_SET_ANYWHERE is not set');
    await usage(['update', 'search', '--file', 'patch.yaml'], '--file patch.yaml: transport cannot change');
    await usage(
      ['update', 'search', '--file', 'other.yaml'],
      '--file other.yaml: its name is "other", not "search"',
    );
    await usage(['update', 'search', '--file', 'empty.json'], '--file empty.json: nothing to change');
    await usage(
      ['update', 'search', '--file', 'entry.json', '--unset-header', 'X'],
      'mcp servers update: --file holds the whole entry; give it without --unset-header',
    );
  });

  it('sends what passes the checks: exit 1 with no server to reach, the secret printed nowhere', async () => {
    const runs = [
      [
        'add',
        'search',
        '--upstream-url',
        'https://x.example/mcp',
        '--secret-header',
        'Authorization=SEARCH_AUTH',
        '--header',
        'X-Team=support',
        '--timeout',
        '2.5',
        '--estimate',
        'search=0.002',
      ],
      ['add', 'github', '--command', 'npx', '--arg=-y', '--secret-env', 'GITHUB_TOKEN', '--cwd', '/srv'],
      ['add', 'search', '--file', 'entry.json'],
      ['update', 'search', '--unset-header', 'X-Team', '--secret-header', 'Authorization=SEARCH_AUTH'],
      ['update', 'github', '--env', 'LOG=debug', '--unset-env', 'OLD'],
      ['list'],
      ['tools', 'everything'],
      ['remove', 'search'],
    ];
    for (const argv of runs) {
      const { code, out, err } = await servers(...argv);
      expect(code, `${argv.join(' ')}: ${err}`).toBe(1);
      expect(err).toContain('cannot connect to the Warden server');
      expect(out + err).not.toContain(SECRET);
    }
  });
});

describe('warden mcp servers against a real node', () => {
  let t: TestNode;
  let url: string;
  let filesDir: string;
  let auditor: Awaited<ReturnType<typeof addHuman>>;

  beforeAll(async () => {
    const files = await writeGatewayFiles();
    filesDir = dirname(files.serversFile);
    t = await startTestNode('sqlite', {
      policyDir: files.policyDir,
      // The API adds stdio servers only for commands the operator allows: here, node itself.
      settings: { mcpServersFile: files.serversFile, mcpApiCommands: [process.execPath] },
    });
    url = await t.node.listen();
    auditor = await addHuman(t.node, ['auditor']);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    if (filesDir) await rm(filesDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    vi.stubEnv('WARDEN_URL', '');
    vi.stubEnv('WARDEN_TOKEN', '');
    vi.stubEnv('SEARCH_AUTH', SECRET);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  async function cli(argv: string[], token = t.adminToken) {
    let out = '';
    let err = '';
    const code = await run(['mcp', 'servers', ...argv, '--url', url, '--token', token], {
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
      color: false,
      cwd: filesDir,
    });
    return { code, out, err };
  }

  /** The `key: value` lines of one server, as printed after added/updated/removed. */
  function fieldsOf(out: string): Record<string, string> {
    return Object.fromEntries(
      out
        .split('\n')
        .slice(1)
        .flatMap((line) => {
          const match = /^([a-z ]+):\s+(.*)$/.exec(line);
          return match ? [[match[1], match[2]]] : [];
        }),
    );
  }

  /** The table row that starts with this name, split on the column gaps. */
  function rowOf(table: string, name: string): string[] | undefined {
    return table
      .split('\n')
      .find((line) => line.startsWith(`${name} `))
      ?.split(/\s{2,}/);
  }

  it("lists the servers file's server, and its tools under their Warden names", async () => {
    const listed = await cli(['list'], auditor.token);
    expect(listed.code, listed.err).toBe(0);
    expect(listed.out.split('\n')[0]).toMatch(/^NAME\s+TRANSPORT\s+SOURCE\s+TARGET\s+STATE\s+RESTARTS$/);
    const row = rowOf(listed.out, 'everything');
    expect(row?.slice(0, 3)).toEqual(['everything', 'stdio', 'file']);
    expect(row?.[3]?.startsWith(process.execPath.includes(' ') ? "'" : process.execPath)).toBe(true);
    expect(row?.[5]).toBe('0');

    const tools = await cli(['tools', 'everything'], auditor.token);
    expect(tools.code, tools.err).toBe(0);
    expect(tools.out.split('\n')[0]).toMatch(/^TOOL\s+DESCRIPTION$/);
    const echo = rowOf(tools.out, 'everything.echo');
    expect(echo?.[1]).toMatch(/echo/i);
    for (const line of tools.out.trimEnd().split('\n').slice(1)) expect(line).toMatch(/^everything\.\S+/);

    const json = await cli(['tools', 'everything', '--json'], auditor.token);
    expect(JSON.parse(json.out)).toMatchObject({
      server: 'everything',
      tools: expect.arrayContaining([expect.objectContaining({ name: 'everything.echo' })]),
    });
    const missing = await cli(['tools', 'nothere']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/not_found/);
  }, 60_000);

  it('adds an http server with a secret header from the environment, lists, updates and removes it', async () => {
    const added = await cli([
      'add',
      'search',
      '--upstream-url',
      'https://mcp.search.example/mcp',
      '--secret-header',
      'Authorization=SEARCH_AUTH',
      '--header',
      'X-Team=support',
      '--header',
      'X-Old=1',
      '--estimate',
      'search=0.002',
    ]);
    expect(added.code, added.err).toBe(0);
    expect(added.out).toMatch(/^added MCP server search\n/);
    expect(fieldsOf(added.out)).toEqual({
      name: 'search',
      transport: 'http',
      source: 'api',
      url: 'https://mcp.search.example/mcp',
      headers: 'X-Team=(plain value), X-Old=(plain value), Authorization=(stored secret)',
      timeout: '60s',
      estimates: 'search=$0.002',
      state: expect.stringMatching(/, 0 restarts$/),
    });

    const listed = await cli(['list']);
    expect(listed.code, listed.err).toBe(0);
    expect(rowOf(listed.out, 'search')?.slice(0, 4)).toEqual([
      'search',
      'http',
      'api',
      'https://mcp.search.example/mcp',
    ]);
    const json = await cli(['list', '--json'], auditor.token);
    expect(json.code, json.err).toBe(0);
    const search = JSON.parse(json.out).servers.find((s: { name: string }) => s.name === 'search');
    expect(search).toMatchObject({
      transport: 'http',
      source: 'api',
      headers: { Authorization: '(stored secret)', 'X-Team': '(plain value)' },
    });
    for (const output of [added, listed, json]) expect(output.out + output.err).not.toContain(SECRET);

    const refused = await cli(['add', 'other', '--upstream-url', 'https://x.example/mcp'], auditor.token);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/forbidden/);

    const taken = await cli(['add', 'search', '--upstream-url', 'https://x.example/mcp']);
    expect(taken.code).toBe(1);
    expect(taken.err).toMatch(/conflict/);

    const updated = await cli(['update', 'search', '--timeout', '30', '--unset-header', 'X-Old']);
    expect(updated.code, updated.err).toBe(0);
    expect(updated.out).toMatch(/^updated MCP server search\n/);
    expect(fieldsOf(updated.out)).toMatchObject({
      timeout: '30s',
      headers: 'X-Team=(plain value), Authorization=(stored secret)',
    });

    const removed = await cli(['remove', 'search']);
    expect(removed.code, removed.err).toBe(0);
    expect(removed.out).toMatch(/^removed MCP server search\n/);
    // As it was: configuration only, no source or state.
    expect(fieldsOf(removed.out)).toEqual({
      name: 'search',
      transport: 'http',
      url: 'https://mcp.search.example/mcp',
      headers: 'X-Team=(plain value), Authorization=(stored secret)',
      timeout: '30s',
      estimates: 'search=$0.002',
    });
    for (const output of [updated, removed]) expect(output.out + output.err).not.toContain(SECRET);
    expect(rowOf((await cli(['list'])).out, 'search')).toBeUndefined();
    const gone = await cli(['remove', 'search']);
    expect(gone.code).toBe(1);
    expect(gone.err).toMatch(/not_found/);
  });

  it("adds a stdio server from a YAML file, and cannot change or remove the servers file's", async () => {
    await writeFile(
      join(filesDir, 'echoer.yaml'),
      `transport: stdio\ncommand: ${JSON.stringify(process.execPath)}\nargs: [${JSON.stringify(EVERYTHING_SERVER)}, stdio]\nenv:\n  TOKEN: { secret: ${JSON.stringify(SECRET)} }\n`,
    );
    const added = await cli(['add', 'echoer', '--file', 'echoer.yaml']);
    expect(added.code, added.err).toBe(0);
    expect(fieldsOf(added.out)).toMatchObject({
      transport: 'stdio',
      source: 'api',
      command: expect.stringMatching(/server-everything.*index\.js'? stdio$/),
      env: 'TOKEN=(stored secret)',
    });
    expect(added.out).not.toContain(SECRET);
    const tools = await cli(['tools', 'echoer']);
    expect(tools.code, tools.err).toBe(0);
    expect(rowOf(tools.out, 'echoer.echo')).toBeDefined();
    expect((await cli(['remove', 'echoer'])).code).toBe(0);

    // Only the commands the operator allows (WARDEN_MCP_API_COMMANDS) run through the API.
    const npx = await cli(['add', 'github', '--command', 'npx', '--arg=-y', '--arg', 'server-github']);
    expect(npx.code).toBe(1);
    expect(npx.err).toMatch(
      /^error: body\.command: .*WARDEN_MCP_API_COMMANDS.*\(invalid_request, request \S+\)\n$/,
    );

    for (const argv of [
      ['update', 'everything', '--timeout', '5'],
      ['remove', 'everything'],
    ]) {
      const refused = await cli(argv);
      expect(refused.code, argv.join(' ')).toBe(1);
      expect(refused.out).toBe('');
      expect(refused.err).toMatch(/^error: .*\(conflict, request \S+\)\n$/);
    }
    const listed = await cli(['list']);
    expect(rowOf(listed.out, 'everything')?.slice(0, 3)).toEqual(['everything', 'stdio', 'file']);
  }, 60_000);
});
