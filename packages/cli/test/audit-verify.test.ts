import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendEvents,
  dropAuditGuards,
  exportOf,
  growLog,
  MANUAL_CHECKPOINTS,
  tenantOf,
} from '../../server/test/audit/verify-fixtures.js';
import { startTestNode, type TestNode } from '../../server/test/helpers/test-node.js';
import { progressBar } from '../src/commands/audit-verify-progress.js';
import { run } from '../src/index.js';

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await run(['audit', 'verify', ...argv], {
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

/** The environment `warden audit verify` reads its configuration from, set for these tests only. */
const ENV_KEYS = [
  'WARDEN_DATA_DIR',
  'WARDEN_DATABASE_URL',
  'WARDEN_CONFIG',
  'WARDEN_AUDIT_SIGNING_KEY_FILE',
] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));

function restoreEnv(): void {
  for (const key of ENV_KEYS) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
}

describe('warden audit verify on a SQLite data directory', () => {
  let t: TestNode;
  let tenantId: string;
  let signed: number[];
  let size: number;
  let scratch: string;
  let exportFile: string;

  beforeAll(async () => {
    t = await startTestNode('sqlite', { settings: MANUAL_CHECKPOINTS });
    tenantId = tenantOf(t.node);
    signed = await growLog(t.node, tenantId, [4, 9]);
    size = await appendEvents(t.node, tenantId, 2);
    scratch = await mkdtemp(join(tmpdir(), 'warden-verify-cli-'));
    exportFile = join(scratch, 'export.jsonl');
    await writeFile(exportFile, `${(await exportOf(t.node, tenantId, 0, signed[1] as number)).join('\n')}\n`);
    for (const key of ENV_KEYS) delete process.env[key];
    process.env.WARDEN_DATA_DIR = t.database.dataDir;
  });
  afterAll(async () => {
    restoreEnv();
    await t.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('verifies the default tenant quickly and in full, with the node key and anchors found by default', async () => {
    const quick = await cli();
    expect(quick.code, quick.err).toBe(0);
    expect(quick.out).toContain(`verified (quick): 2 checkpoints signed and consistent, root `);
    expect(quick.out).toContain(`(anchor: ${signed[1]} consistent)`);
    expect(quick.out).toContain('2 events after the last checkpoint are not signed yet');

    const full = await cli('--full');
    expect(full.code, full.err).toBe(0);
    expect(full.out).toMatch(
      new RegExp(`^verified: ${size} events, 2 checkpoints, root \\S+ at size ${size} `),
    );
  });

  it('prints the whole report as one JSON object', async () => {
    const { code, out } = await cli('--full', '--json', '--tenant', t.node.bootstrap.tenant.slug);
    expect(code).toBe(0);
    const report = JSON.parse(out);
    expect(report).toMatchObject({
      verdict: 'verified',
      mode: 'full',
      tenant: tenantId,
      size,
      events: size,
      checkpoints: 2,
      unsignedTail: 2,
      failures: [],
    });
    expect(report.trusted).toEqual(signed.map((s) => ({ source: 'anchor', size: s, status: 'consistent' })));
  });

  it('verifies one event', async () => {
    const row = await t.node.storage.db
      .selectFrom('audit_events')
      .select('id')
      .where('seq', '=', 1)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    const { code, out } = await cli('--event', row.id);
    expect(code).toBe(0);
    expect(out).toContain(`verified: the event is included in the signed checkpoint at size ${signed[1]}`);
  });

  it('verifies an export, warning when the key is only the one inside it', async () => {
    const unpinned = await cli('--export', exportFile);
    expect(unpinned.code).toBe(0);
    expect(unpinned.out).toContain(`verified: ${signed[1]} events, 2 checkpoints`);
    expect(unpinned.err).toContain('the verifier key came from the export itself');

    const keyFile = `${t.node.config.auditSigningKeyFile}.pub`;
    const byFile = await cli('--export', exportFile, '--public-key', keyFile);
    expect(byFile.code).toBe(0);
    expect(byFile.err).toBe('');
    const byText = await cli(
      '--export',
      exportFile,
      '--public-key',
      (await readFile(keyFile, 'utf8')).trim(),
      '--json',
    );
    expect(JSON.parse(byText.out)).toMatchObject({ verdict: 'verified', mode: 'export', keySource: 'given' });
  });

  it('exits 1 for an export with an event removed or its tail cut', async () => {
    const lines = (await readFile(exportFile, 'utf8')).trimEnd().split('\n');
    const last = (signed[1] as number) - 1;
    const removed = join(scratch, 'removed.jsonl');
    await writeFile(removed, `${[...lines.slice(0, 3), ...lines.slice(4)].join('\n')}\n`);
    const gap = await cli('--export', removed, '--public-key', `${t.node.config.auditSigningKeyFile}.pub`);
    expect(gap.code, gap.err).toBe(1);
    expect(gap.out).toContain('INTEGRITY FAILURE: gap at seq 2: seq 2 is missing from the log');
    const cut = join(scratch, 'cut.jsonl');
    await writeFile(cut, `${[...lines.slice(0, last + 1), ...lines.slice(last + 2)].join('\n')}\n`);
    const tail = await cli('--export', cut, '--json');
    expect(tail.code, tail.err).toBe(1);
    expect(JSON.parse(tail.out).failures[0]).toEqual({
      code: 'truncation',
      seq: last,
      message: `the export announces events 0 to ${last} but holds ${last} events: 1 removed or the tail cut`,
    });
  });

  it('exits 2 when it cannot verify, and says why', async () => {
    const cases: [string[], string][] = [
      [['--export', join(scratch, 'missing.jsonl')], 'no export file at'],
      [
        ['--public-key', join(scratch, 'missing.pub')],
        'the file does not exist, and the text is not a verifier key',
      ],
      [['--tenant', 'nobody'], 'no tenant "nobody"'],
      [['--database', `sqlite:${join(scratch, 'none.db')}`], 'no database at'],
      [['--from-checkpoint', join(scratch, 'missing.checkpoint')], '--from-checkpoint'],
    ];
    for (const [args, reason] of cases) {
      const { code, err } = await cli(...args);
      expect(code, args.join(' ')).toBe(2);
      expect(err).toContain(reason);
    }
    process.env.WARDEN_AUDIT_SIGNING_KEY_FILE = join(scratch, 'nowhere.key');
    try {
      const noKey = await cli('--json');
      expect(noKey.code).toBe(2);
      expect(JSON.parse(noKey.out)).toMatchObject({ verdict: 'cannot_verify', failures: [] });
      expect(JSON.parse(noKey.out).reason).toContain(`no verifier key: ${join(scratch, 'nowhere.key.pub')}`);
    } finally {
      delete process.env.WARDEN_AUDIT_SIGNING_KEY_FILE;
    }
  });

  it('exits 2 on usage mistakes', async () => {
    for (const args of [
      ['--export', exportFile, '--full'],
      ['--event', 'evt_1', '--full'],
      ['--bogus'],
      ['extra'],
    ]) {
      const { code, err } = await cli(...args);
      expect(code, args.join(' ')).toBe(2);
      expect(err).toContain('warden audit verify --help');
    }
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: warden audit verify');
  });

  it('exits 1 and names the first failure once the log was tampered with', async () => {
    await dropAuditGuards(t.node.storage);
    const seq = (signed[0] as number) + 1;
    await t.node.storage.db
      .updateTable('audit_events')
      .set({ effect: 'deny' })
      .where('tenant_id', '=', tenantId)
      .where('seq', '=', seq)
      .execute();
    const text = await cli('--full');
    expect(text.code).toBe(1);
    expect(text.out).toBe(
      `INTEGRITY FAILURE: column_mismatch at seq ${seq}: the query columns of seq ${seq} differ from its body: effect\n`,
    );
    const json = await cli('--full', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({
      verdict: 'integrity_failure',
      failures: [{ code: 'column_mismatch', seq, message: expect.stringContaining('effect') }],
      firstBadSeq: seq,
    });
  });
});

describe('the verification progress bar', () => {
  function recorder() {
    const written: string[] = [];
    const io = { out: () => {}, err: (text: string) => written.push(text), color: false, cwd: '/' };
    return { io, written };
  }

  it('draws nothing for short runs, then at most ten times a second, and clears its line', () => {
    let now = 0;
    const { io, written } = recorder();
    const bar = progressBar(io, true, () => now);
    bar.update(10, 1_000);
    expect(written).toEqual([]);
    now = 1_500;
    bar.update(500, 1_000);
    now = 1_550;
    bar.update(600, 1_000);
    now = 1_700;
    bar.update(1_000, 1_000);
    bar.finish();
    expect(written).toEqual([
      `\r[${'#'.repeat(15)}${'.'.repeat(15)}] 50% 500/1,000 events`,
      `\r[${'#'.repeat(30)}] 100% 1,000/1,000 events`,
      '\r\u001b[K',
    ]);
  });

  it('stays silent when stderr is not a terminal', () => {
    let now = 0;
    const { io, written } = recorder();
    const bar = progressBar(io, false, () => now);
    now = 5_000;
    bar.update(1, 2);
    bar.finish();
    expect(written).toEqual([]);
  });
});
