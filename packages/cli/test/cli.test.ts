import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/index.js';

const root = resolve(import.meta.dirname, '../../..');
const examples = join(root, 'examples/policies');

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => (out += t), err: (t) => (err += t), color: false, cwd: root });
  return { code, out, err };
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'warden-cli-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function bundleDir(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(scratch, name);
  await rm(dir, { recursive: true, force: true });
  await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
  return dir;
}

const refundPolicy = `apiVersion: warden/v1
kind: Policy
metadata: {name: refunds, owner: maria@example.com}
spec:
  rules:
    - {id: small, effect: allow, tools: [payments.refund], when: 'args.amount <= 500'}
    - {id: large, effect: review, tools: [payments.refund], when: 'args.amount > 500', approval: {approvers: [group:leads]}}
`;

describe('warden policy lint', () => {
  it('passes the example bundle with no warnings', async () => {
    const { code, out } = await cli('policy', 'lint', examples);
    expect(code).toBe(0);
    expect(out).toMatch(/0 errors, 0 warnings\n$/);
  });
  it('prints warnings and still exits 0', async () => {
    const dir = await bundleDir('lint-warn', {
      'p.yaml': `${refundPolicy}    - {id: never, effect: allow, tools: [x], when: 'false'}\n`,
    });
    const { code, out } = await cli('policy', 'lint', dir);
    expect(code).toBe(0);
    expect(out).toContain(
      "warning: spec.rules[2].when: rule 'never': can never match: its condition is always false",
    );
    expect(out).toMatch(/0 errors, 1 warning\n$/);
  });
  it('exits 1 and names file, line and field when the bundle does not load', async () => {
    const dir = await bundleDir('lint-error', {
      'p.yaml': refundPolicy.replace('effect: allow', 'effect: permit'),
    });
    const { code, err } = await cli('policy', 'lint', dir);
    expect(code).toBe(1);
    expect(err).toContain(
      'p.yaml:6:27: error: spec.rules[0].effect: expected one of allow, review, deny, got "permit"',
    );
    expect(err).toContain('bundle rejected (1 error); nothing was loaded');
  });
  it('exits 1 for a directory that does not exist', async () => {
    const { code, err } = await cli('policy', 'lint', join(scratch, 'missing'));
    expect(code).toBe(1);
    expect(err).toMatch(/cannot read the bundle/);
  });
});

describe('warden policy test', () => {
  it('runs the example tests and ends with the summary line', async () => {
    const { code, out } = await cli('policy', 'test', examples);
    expect(code).toBe(0);
    expect(out).toMatch(/\n\d+ passed, 0 failed\n$/);
    expect(out).toContain('✓ ');
  });
  it('exits 1 and explains a failing case', async () => {
    const dir = await bundleDir('test-fail', {
      'p.yaml': refundPolicy,
      'p.test.yaml': `apiVersion: warden/v1
kind: PolicyTest
metadata: {name: t}
agents:
  bot: {id: agt_bot}
cases:
  - {name: small refund, agent: bot, tool: payments.refund, args: {amount: 20}, expect: {effect: allow}}
  - {name: wrong, agent: bot, tool: payments.refund, args: {amount: 900}, expect: {effect: allow}}
`,
    });
    const { code, out } = await cli('policy', 'test', dir);
    expect(code).toBe(1);
    expect(out).toContain('✓ small refund (allow)');
    expect(out).toContain('✗ wrong (p.test.yaml:8)');
    expect(out).toContain("expected effect allow, got review (rule 'large'");
    expect(out).toMatch(/\n1 passed, 1 failed\n$/);
  });
  it('exits 1 when there is no test case at all', async () => {
    const dir = await bundleDir('test-none', { 'p.yaml': refundPolicy });
    const { code, err } = await cli('policy', 'test', dir);
    expect(code).toBe(1);
    expect(err).toContain('no policy test cases found');
  });
});

describe('warden policy eval', () => {
  it('prints the Decision as JSON', async () => {
    const { code, out } = await cli(
      'policy',
      'eval',
      examples,
      '--agent',
      '{"id":"agt_support","roles":["support-assistant"],"tier":"trusted","environment":"production"}',
      '--tool',
      'payments.refund',
      '--args',
      '{"amount": 750, "order_id": "ord_1"}',
      '--context',
      '{"initiator":"usr_kim","onBehalfOf":"cus_42"}',
    );
    expect(code).toBe(0);
    const decision = JSON.parse(out);
    expect(decision.effect).toBe('review');
    expect(decision.approval.steps[0].approvers).toContainEqual({ kind: 'group', name: 'support-leads' });
    expect(decision.policyVersion).toMatch(/^[0-9a-f]{64}$/);
  });
  it('takes the agent signals and the task history', async () => {
    const support =
      '{"id":"agt_support","roles":["support-assistant"],"tier":"trusted","environment":"production"}';
    const email = [
      '--tool',
      'email.send',
      '--args',
      '{"to":"x@partner.example"}',
      '--context',
      '{"onBehalfOf":"c@shop.example"}',
    ];
    const unsure = await cli(
      'policy',
      'eval',
      examples,
      '--agent',
      support,
      ...email,
      '--signals',
      '{"confidence":0.5}',
    );
    expect(JSON.parse(unsure.out)).toMatchObject({
      effect: 'review',
      decidingRule: 'support-low-confidence-review',
    });
    const afterPii = await cli(
      'policy',
      'eval',
      examples,
      '--agent',
      support,
      ...email,
      '--task',
      '{"labels":["pii"]}',
    );
    expect(JSON.parse(afterPii.out)).toMatchObject({
      effect: 'deny',
      decidingRule: 'support-pii-external-email-deny',
    });
    const fresh = await cli('policy', 'eval', examples, '--agent', support, ...email);
    expect(JSON.parse(fresh.out)).toMatchObject({ effect: 'allow' });
    const bad = await cli('policy', 'eval', examples, '--agent', support, ...email, '--task', '{"calls":-1}');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('task.calls: expected a whole number of at least 0');
  });
  it('reads the agent from a file', async () => {
    const agentFile = join(scratch, 'agent.yaml');
    await writeFile(agentFile, 'id: agt_x\nroles: [nobody]\n');
    const { code, out } = await cli(
      'policy',
      'eval',
      examples,
      '--agent',
      agentFile,
      '--tool',
      'payments.refund',
    );
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ effect: 'deny', code: 'no_grant' });
  });
  it('refuses bad input with exit 2 and names the field', async () => {
    const evalFor = (agent: string, ...rest: string[]) =>
      cli('policy', 'eval', examples, '--agent', agent, '--tool', 'x', ...rest);
    const bad = await evalFor('{"id":"a"}', '--args', '{not json');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--args is not valid JSON/);
    const badTier = await evalFor('{"id":"a","tier":"gold"}');
    expect(badTier.code).toBe(2);
    expect(badTier.err).toContain('agent.tier: expected one of sandbox, monitored, trusted, got "gold"');
    let deep = '1';
    for (let i = 0; i < 40; i++) deep = `{"n":${deep}}`;
    const tooDeep = await evalFor('{"id":"a"}', '--args', deep);
    expect(tooDeep.code).toBe(2);
    expect(tooDeep.err).toMatch(/args are nested deeper than 32 levels/);
    const missing = await cli('policy', 'eval', examples, '--tool', 'x');
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.err).toContain('--agent is required');
  });
});

describe('the warden command', () => {
  it('prints help and rejects unknown commands and flags', async () => {
    expect((await cli('--help')).out).toContain('policy lint <dir>');
    expect(await cli('frobnicate')).toMatchObject({
      code: 2,
      err: expect.stringContaining('unknown command "frobnicate"'),
    });
    expect(await cli('policy', 'lint', examples, '--bogus')).toMatchObject({
      code: 2,
      err: expect.stringContaining("Unknown option '--bogus'"),
    });
    expect((await cli('policy', 'eval', '--help')).out).toContain('--agent <json|file>');
  });
  it('runs as a process with the documented exit codes', async () => {
    const exec = promisify(execFile);
    const bin = join(root, 'packages/cli/src/bin.ts');
    const args = ['--conditions=@warden/source', '--import', 'tsx', bin];
    const ok = await exec(process.execPath, [...args, 'policy', 'test', examples], { cwd: root });
    expect(ok.stdout).toMatch(/passed, 0 failed/);
    const failed = await exec(process.execPath, [...args, 'policy', 'lint', join(scratch, 'nope')], {
      cwd: root,
    }).catch((e) => e);
    expect(failed.code).toBe(1);
  });
});
