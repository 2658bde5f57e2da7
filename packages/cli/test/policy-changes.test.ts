import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../../server/test/helpers/api.js';
import { seedAgent } from '../../server/test/helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../../server/test/helpers/test-node.js';
import { bundleDir, removeDir, V1, V2, writeBundle } from '../../server/test/policies/change-fixtures.js';
import { run } from '../src/index.js';

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => (out += t), err: (t) => (err += t), color: false, cwd: '/' });
  return { code, out, err };
}

describe('warden policy impact, reload, scheduled, cancel, shadow', () => {
  let t: TestNode;
  let serverDir: string;
  let candidate: string;
  let broken: string;
  let connection: string[];
  let worker: Awaited<ReturnType<typeof seedAgent>>;

  beforeAll(async () => {
    serverDir = await bundleDir(V1);
    candidate = await bundleDir(V2);
    broken = await mkdtemp(join(tmpdir(), 'warden-broken-'));
    await writeFile(join(broken, 'workers.yaml'), 'apiVersion: warden/v1\nkind: Policy\nmetadata: {}\n');
    t = await startTestNode('sqlite', { policyDir: serverDir });
    connection = ['--url', await t.node.listen(), '--token', t.adminToken];
    worker = await seedAgent(t.node, { roles: ['worker'] });
    for (const tool of ['files.write', 'files.write', 'files.read']) {
      await request(t.node, 'POST', '/v1/decide', worker.key, { tool, args: { path: '/secret/x' } });
    }
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([
      removeDir(serverDir),
      removeDir(candidate),
      rm(broken, { recursive: true, force: true }),
    ]);
  });

  it('impact prints the changed verdicts grouped by agent, tool and rule', async () => {
    const { code, out } = await cli(['policy', 'impact', candidate, '--since', '1h', ...connection]);
    expect(code).toBe(0);
    expect(out).toContain('3 decisions: 3 replayed, 0 unchanged, 3 changed (allow→deny 2, allow→review 1)');
    const rows = out.split('\n').filter((line) => line.includes(worker.agent.id));
    expect(rows[0]).toMatch(/allow→deny .* files\.write .* worker-write .* worker-write-frozen .* 2 /);
    expect(rows[1]).toMatch(/allow→review .* files\.read/);
    const json = await cli([
      'policy',
      'impact',
      candidate,
      '--agent',
      worker.agent.id,
      '--json',
      ...connection,
    ]);
    expect(JSON.parse(json.out)).toMatchObject({ changed: 3, window: { agents: [worker.agent.id] } });
  });

  it('impact of a bundle with errors prints what lint prints, and sends nothing', async () => {
    const impact = await cli(['policy', 'impact', broken, ...connection]);
    const lint = await cli(['policy', 'lint', broken]);
    expect(impact.code).toBe(1);
    expect(impact.err).toBe(lint.err);
    expect(impact.err).toContain('bundle rejected');
  });

  it('impact over a window without decisions says so', async () => {
    const quiet = await seedAgent(t.node, { roles: ['worker'] });
    const { code, out } = await cli([
      'policy',
      'impact',
      candidate,
      '--agent',
      quiet.agent.id,
      ...connection,
    ]);
    expect(code).toBe(0);
    expect(out).toContain('no decisions were recorded in the window');
  });

  it('reload --notify-first schedules, scheduled lists it, cancel calls it off', async () => {
    await writeBundle(serverDir, V2);
    const reloaded = await cli(['policy', 'reload', '--notify-first', '2h', ...connection]);
    expect(reloaded.code).toBe(0);
    const id = /scheduled as (pls_\w+)/.exec(reloaded.out)?.[1];
    expect(id).toBeDefined();
    expect(reloaded.out).toContain(worker.agent.name);
    const listed = await cli(['policy', 'scheduled', ...connection]);
    expect(listed.out).toContain(`${id}`);
    const cancelled = await cli(['policy', 'cancel', id ?? '', ...connection]);
    expect(cancelled).toMatchObject({ code: 0, out: `Cancelled ${id}: the active version is unchanged.\n` });
    const again = await cli(['policy', 'cancel', id ?? '', ...connection]);
    expect(again.code).toBe(1);
    expect(again.err).toContain('already cancelled');
    await writeBundle(serverDir, V1);
  });

  it('shadow start, report and stop', async () => {
    const started = await cli(['policy', 'shadow', 'start', candidate, ...connection]);
    expect(started.code).toBe(0);
    await request(t.node, 'POST', '/v1/decide', worker.key, { tool: 'files.write', args: { path: '/a' } });
    await t.node.policyChanges.shadowEvaluator.flush();
    const report = await cli(['policy', 'shadow', 'report', ...connection]);
    expect(report.code).toBe(0);
    expect(report.out).toContain('1 divergences');
    expect(report.out).toMatch(/worker-write → worker-write-frozen\s+allow→deny\s+1/);
    expect(report.out).toMatch(/files\.write\s+allow→deny\s+1/);
    const stopped = await cli(['policy', 'shadow', 'stop', ...connection]);
    expect(stopped.code).toBe(0);
    expect((await cli(['policy', 'shadow', 'stop', ...connection])).code).toBe(1);
    expect((await cli(['policy', 'shadow', 'start', broken, ...connection])).code).toBe(1);
  });

  it('refuses a missing directory before any network', async () => {
    expect((await cli(['policy', 'impact', '--url', 'http://127.0.0.1:9'])).code).toBe(2);
    expect((await cli(['policy', 'shadow', 'start', '--url', 'http://127.0.0.1:9'])).code).toBe(2);
  });
});
