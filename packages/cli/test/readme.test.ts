import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markdownSection, shellBlocks } from './helpers/markdown.js';

/**
 * The README's "Try it in five minutes", run as written against a real node started the way
 * `npm start` starts it (`warden up --demo` in a directory of its own, SQLite in ./.warden), so a
 * newcomer's first commands cannot silently rot.
 */

const root = resolve(import.meta.dirname, '../../..');
const CLI = join(root, 'packages/cli/src/bin.ts');
const TSX = join(root, 'node_modules/tsx/dist/loader.mjs');
const README_URL = 'http://127.0.0.1:7420';

/**
 * The README runs the built command through `npx warden`. Tests run against the TypeScript sources
 * and never build, so the prelude makes `npx warden` run the same CLI from its sources; any other
 * npx use in the README fails the test rather than reaching the network.
 */
const PRELUDE = `set -euo pipefail
npx() {
  if [ "$1" != warden ]; then echo "npx $1: the README should only npx warden" >&2; return 127; fi
  shift
  node --conditions=@warden/source --import "$WARDEN_TEST_TSX" "$WARDEN_TEST_CLI" "$@"
}
`;

let dir: string;
let node: ChildProcess;
let nodeOutput = '';
let url: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-readme-'));
  // The README's commands run from the repository root; the scratch directory looks like one.
  await symlink(join(root, 'examples'), join(dir, 'examples'));
  node = spawn(
    process.execPath,
    ['--conditions=@warden/source', '--import', TSX, CLI, 'up', '--demo', '--port', '0'],
    {
      cwd: dir,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  url = await new Promise<string>((done, fail) => {
    const collect = (chunk: Buffer) => {
      nodeOutput += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(nodeOutput);
      if (match?.[1] && nodeOutput.includes('Press Ctrl-C to stop.')) done(match[1]);
    };
    node.stdout?.on('data', collect);
    node.stderr?.on('data', collect);
    node.once('exit', (code) => fail(new Error(`warden up --demo exited with ${code}:\n${nodeOutput}`)));
  });
}, 90_000);

afterAll(async () => {
  if (node && node.exitCode === null && node.signalCode === null) {
    const exited = new Promise((done) => node.once('exit', done));
    node.kill('SIGTERM');
    await exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('README', () => {
  it('quick start is the two commands, and npm start is warden up --demo', async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const [block, ...more] = shellBlocks(markdownSection(readme, 'Quick start'));
    expect(more).toEqual([]);
    const commands = block?.split('\n').map((line) => line.replace(/\s+#.*$/, ''));
    expect(commands).toEqual(['npm ci && npm start', 'npm test']);
    const scripts = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')).scripts;
    // The node this file starts is what npm start starts, from the sources instead of the build.
    expect(scripts.start).toBe('npm run build && node packages/cli/dist/bin.js up --demo');
  });

  it('the banner says where the node is, the admin token, the data and the demo', async () => {
    const token = (await readFile(join(dir, '.warden/admin-token'), 'utf8')).trim();
    const banner = nodeOutput.slice(nodeOutput.indexOf('Warden '));
    expect(banner).toContain(`listening on ${url}`);
    expect(banner).toContain(`API:       ${url}/v1/`);
    expect(banner).toContain('data:      SQLite in ./.warden');
    expect(banner).toContain('policies:  ./examples/policies (version ');
    expect(banner).toContain(`admin:     ${token}  (shown once; saved in ./.warden/admin-token)`);
    expect(banner).toContain(`console:   ${url}/`);
    // The admin's one-time console link: it signs in once.
    const link = /sign in: +(\S+)/.exec(banner)?.[1] ?? '';
    expect(link).toMatch(new RegExp(`^${url}/sign-in#code=wdn_c_[A-Za-z0-9_-]{43}$`));
    const signIn = () =>
      fetch(`${url}/v1/console/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: new URL(link).hash.slice('#code='.length) }),
      });
    expect((await signIn()).status).toBe(200);
    expect((await signIn()).status).toBe(401);
    expect(banner).toContain('support-assistant');
    expect(banner).toContain('./.warden/demo-keys/');
    expect(banner).toContain(`curl -s ${url}/v1/decide`);
    // The log is for people: no JSON line anywhere in what `npm start` prints.
    expect(nodeOutput.split('\n').filter((line) => line.startsWith('{'))).toEqual([]);
    expect(nodeOutput).toMatch(/^\d\d:\d\d:\d\d info {3}Server listening at /m);
  });

  it('"Try it in five minutes" runs as written and shows what the text says', async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    // The first terminal's `npm ci && npm start` is the node beforeAll started.
    const blocks = shellBlocks(markdownSection(readme, 'Try it in five minutes')).filter(
      (block) => !/^npm /m.test(block),
    );
    // What the prose around each block promises, in the README's order.
    const promised: RegExp[][] = [
      [/support-assistant\s+active\s+monitored/, /deploy-agent/],
      [/"effect":"allow"/, /"decidingRule":"support-refund-up-to-500"/, /"decisionId":"dec_/],
      [
        /apr_\w+\s+action\s+pre\s+pending\s+support-assistant\s+payments\.refund/,
        /apr_\w+ approved/,
        /"effect":"allow","code":"approved"/,
      ],
      [/"effect":"deny","code":"budget_exceeded"/, /monitored-daily-usd .*\$500\.00/],
      [/killed agent agt_\w+ \(support-assistant\): suspended/, /"code":"agent_suspended"/, /resumed agent/],
      [
        /agent\.suspend/,
        /decision\.allow/,
        /^verified \(quick\)/m,
        /^verified: \d+ events, \d+ checkpoints/m,
      ],
      [/"effect": "review"/, /support-refund-over-500-review/],
    ];
    expect(blocks).toHaveLength(promised.length);

    const script = PRELUDE + blocks.map((block, i) => `printf '\\n@@block ${i}@@\\n'\n${block}\n`).join('');
    const result = await bash(script.replaceAll(README_URL, url));
    expect(result.code, `${result.stderr}\n${result.stdout}`).toBe(0);
    const outputs = result.stdout.split(/\n@@block \d+@@\n/).slice(1);
    expect(outputs).toHaveLength(blocks.length);
    outputs.forEach((output, i) => {
      for (const pattern of promised[i] ?? []) expect(output, `block ${i}:\n${blocks[i]}`).toMatch(pattern);
    });
    // "the node's log shows the notice for Lena"
    expect(nodeOutput).toMatch(
      /notice for lena\.fischer@example\.com: Approval needed: agent support-assistant calls payments\.refund/,
    );
  }, 240_000);
});

function bash(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      'bash',
      ['-c', script],
      {
        cwd: dir,
        env: { ...cleanEnv(), WARDEN_TEST_TSX: TSX, WARDEN_TEST_CLI: CLI },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The environment without settings of ours, so the shell sees only what the README exports. */
function cleanEnv(): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('WARDEN_'))),
    NO_COLOR: '1',
    // curl must reach the local node directly even where a proxy is configured.
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
  };
}
