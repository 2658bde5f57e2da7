import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addHuman } from '../../server/test/helpers/api.js';
import { bearer, seedAgent } from '../../server/test/helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../../server/test/helpers/test-node.js';
import { runAuditVerify } from '../src/commands/audit-verify.js';
import { run } from '../src/index.js';

// `warden audit verify` belongs to its own module; here we only check that the dispatcher hands it
// the arguments after "verify".
vi.mock('../src/commands/audit-verify.js', () => ({ runAuditVerify: vi.fn(async () => 0) }));

/** `warden audit` against a real node: the CLI and the routes agree on the contract. */
describe('warden audit against a real server', () => {
  let t: TestNode;
  let url: string;
  let scratch: string;
  let security: string;

  beforeAll(async () => {
    t = await startTestNode('sqlite', { settings: { auditSubjectPaths: ['$.args.customer_id'] } });
    url = await t.node.listen();
    scratch = await mkdtemp(join(tmpdir(), 'warden-audit-cli-'));
    security = (await addHuman(t.node, ['security'])).token;
    const reviewer = await seedAgent(t.node, { roles: ['code-review-bot'] });
    const support = await seedAgent(t.node, { roles: ['support-assistant'] });
    for (const [key, payload] of [
      [reviewer.key, { tool: 'github.repos.read', args: { repo: 'acme/api' } }],
      [reviewer.key, { tool: 'github.reviews.approve', args: { pull: 7 } }],
      [support.key, { tool: 'crm.contacts.read', args: { customer_id: 'cust-7', note: 'a, "quoted" note' } }],
    ] as const) {
      const res = await t.node.app.inject({
        method: 'POST',
        url: '/v1/decide',
        headers: bearer(key),
        payload,
      });
      expect(res.statusCode, res.body).toBe(200);
    }
  });
  afterAll(async () => {
    await t.close();
    await rm(scratch, { recursive: true, force: true });
  });

  async function cli(argv: string[], token = t.adminToken) {
    let out = '';
    let err = '';
    const code = await run(['audit', ...argv, '--url', url, '--token', token], {
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
      color: false,
      cwd: scratch,
    });
    return { code, out, err };
  }

  it('queries events as a table, as JSON, filtered, and across every page', async () => {
    const table = await cli(['query', '--tool', 'github.*']);
    expect(table.code, table.err).toBe(0);
    const lines = table.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SEQ\s+TIME\s+TYPE\s+AGENT\s+TOOL\s+EFFECT\s+OUTCOME$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/)[2])).toEqual(['decision.allow', 'decision.deny']);
    expect(table.out).toContain('github.reviews.approve');

    const denied = JSON.parse(
      (await cli(['query', '--type', 'decision.*', '--effect', 'deny', '--json'])).out,
    );
    expect(denied.events.map((e: { tool: string }) => e.tool)).toEqual(['github.reviews.approve']);

    const everything = JSON.parse((await cli(['query', '--json', '--limit', '500'])).out).events;
    const paged = await cli(['query', '--all', '--limit', '2', '--json']);
    expect(paged.code).toBe(0);
    expect(JSON.parse(paged.out)).toEqual({ events: everything, nextCursor: null });

    const first = await cli(['query', '--limit', '2']);
    expect(first.err).toContain('more events: run again with --all, or with --cursor ');
  });

  it('exports JSONL to stdout and CSV to a file', async () => {
    const jsonl = await cli(['export', '--format', 'jsonl']);
    expect(jsonl.code, jsonl.err).toBe(0);
    const lines = jsonl.out
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    const events = JSON.parse((await cli(['query', '--json', '--limit', '500'])).out).events;
    expect(lines[0]).toMatchObject({ kind: 'warden.audit.export', begin: 0 });
    expect(lines.filter((l) => l.kind === 'event')).toHaveLength(lines[0].end);
    expect(lines.at(-1).kind).toBe('suffix');
    expect(lines[0].end).toBeLessThanOrEqual(events.length);

    const csv = await cli(['export', '--format', 'csv', '--out', 'audit.csv', '--from', '2000-01-01']);
    expect(csv.code, csv.err).toBe(0);
    expect(csv.err).toMatch(/^wrote \d+ bytes of csv to audit\.csv\n$/);
    expect(await readdir(scratch)).toEqual(['audit.csv']);
    const text = await readFile(join(scratch, 'audit.csv'), 'utf8');
    const rows = text.split('\r\n');
    expect(rows[0]).toMatch(/^seq,id,time,type,/);
    expect(rows.filter(Boolean).length).toBeGreaterThan(3);
    expect(text).toContain('""note"":""a, \\""quoted\\"" note""');
  });

  it('shreds a data subject once, and says so when asked again', async () => {
    const first = await cli(['shred', '--subject', 'cust-7'], security);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/^shredded: the subject's key sub:[0-9a-f]{32} is destroyed\n$/);
    const again = await cli(['shred', '--subject', 'cust-7', '--json']);
    expect(JSON.parse(again.out)).toMatchObject({ destroyed: false });
    const contact = JSON.parse((await cli(['query', '--tool', 'crm.contacts.read', '--json'])).out).events[0];
    expect(contact.payload.args.customer_id).toBe('[shredded]');

    const unknown = await cli(['shred', '--subject', 'nobody']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('not_found');
  });

  it('reports what the server refuses, with its error code', async () => {
    const res = await cli(['query'], security);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/^error: .*\(forbidden, request /);
    const bad = await cli(['export', '--format', 'csv', '--from', '2026-02-01', '--to', '2026-01-01']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('querystring.to');
    expect(await readdir(scratch)).toEqual(['audit.csv']);
  });

  it('checks arguments before connecting: usage errors exit 2', async () => {
    for (const argv of [
      ['query', '--agent', 'agt_nope'],
      ['query', '--limit', '501'],
      ['query', '--from', 'yesterday'],
      ['query', '--order', 'sideways'],
      ['query', 'extra'],
      ['export'],
      ['export', '--format', 'xml'],
      ['shred'],
      ['shred', '--subject', ' '],
      ['nope'],
    ]) {
      const res = await cli(argv);
      expect(res.code, argv.join(' ')).toBe(2);
      expect(res.err).toContain('warden: ');
    }
  });
});

describe('warden audit dispatch', () => {
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
        cwd: process.cwd(),
      },
    };
  };

  it('prints its help, and needs a command', async () => {
    const help = io();
    expect(await run(['audit', '--help'], help.io)).toBe(0);
    expect(help.output.out).toContain('warden audit <command>');
    for (const command of ['query', 'export', 'shred', 'verify']) expect(help.output.out).toContain(command);
    expect(await run(['audit'], io().io)).toBe(2);
    const query = io();
    expect(await run(['audit', 'query', '--help'], query.io)).toBe(0);
    expect(query.output.out).toContain('--on-behalf-of');
  });

  it('hands "audit verify" and its arguments to the verifier', async () => {
    const { io: verifyIo } = io();
    expect(await run(['audit', 'verify', '--file', 'export.jsonl'], verifyIo)).toBe(0);
    expect(runAuditVerify).toHaveBeenCalledWith(['--file', 'export.jsonl'], verifyIo);
  });
});
