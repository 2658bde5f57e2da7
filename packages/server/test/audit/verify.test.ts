import { generateKeyPairSync } from 'node:crypto';
import { canonicalJson } from '@warden/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseVerifierKey,
  type SigningKey,
  signCheckpoint,
  verifierKeyFor,
} from '../../src/audit/checkpoint/index.js';
import { CompactRange, leafHash } from '../../src/audit/merkle/index.js';
import {
  type LogStream,
  trustedCheckpointFromNote,
  type VerifiableEvent,
  type VerifyReport,
  verifyEventFromDatabase,
  verifyExport,
  verifyFromDatabase,
  verifyLogStream,
} from '../../src/audit/verify/index.js';
import { bodyLeafHash } from '../../src/audit/verify/leaf-hash.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import {
  appendEvents,
  exportOf,
  growLog,
  linesSource,
  MANUAL_CHECKPOINTS,
  tenantOf,
  verifyOptions,
} from './verify-fixtures.js';

function signingKey(name = 'warden'): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { name, privateKey, publicKey, verifierKey: verifierKeyFor(name, publicKey) };
}

describe('canonical JSON check', () => {
  const samples = [
    '{"a":1,"b":[true,null,"x"]}',
    '{"b":1,"a":2}',
    '{"a": 1}',
    '{"10":1,"9":2}',
    '{"9":2,"10":1}',
    '{"a":1.0}',
    '{"a":1e3}',
    '{"a":1000}',
    '{"a":"\\u0041"}',
    '{"a":"\\u001f"}',
    '{"a":"\\u001F"}',
    '{"a":"é😀"}',
    '{"a":"\\ud800"}',
    '{"a":{"c":1,"b":2}}',
    '[{"b":1,"a":2}]',
    '{"a":-0}',
    '{"":1,"a":{}}',
  ];
  // canonicalJson writes objects whose keys are already in order with JSON.stringify and sorts the
  // others: the same value with its keys reversed must give the same text.
  it.each(samples)('gives the same text on both paths for %s', (text) => {
    const value = JSON.parse(text);
    expect(canonicalJson(value)).toBe(canonicalJson(reverseKeys(value)));
  });

  it('hashes a body like leafHash, including characters beyond ASCII', () => {
    for (const body of ['{"a":1}', '{"name":"Zoë 😀"}', '']) {
      expect(bodyLeafHash(body).equals(leafHash(body))).toBe(true);
    }
  });
});

const TENANT = 'ten_verify';
const ORIGIN = `warden/${TENANT}`;

function bodyOf(seq: number, tenant = TENANT): string {
  return canonicalJson({
    v: 1,
    id: `evt_${seq}`,
    seq,
    tenant,
    time: new Date(1_700_000_000_000 + seq).toISOString(),
    type: 'decision.allow',
    actor: { type: 'agent', id: 'agt_1' },
    subject: { type: 'tool', id: 'crm.read' },
    payload: { i: seq },
  });
}

/** A signed log in memory: events 0..count-1 and a checkpoint at each of `signedAt`. */
function memoryLog(count: number, signedAt: readonly number[], key: SigningKey) {
  const bodies = Array.from({ length: count }, (_, seq) => bodyOf(seq));
  const range = CompactRange.empty();
  const checkpoints: { size: number; note: string }[] = [];
  const rootAt = new Map<number, Buffer>();
  bodies.forEach((body) => {
    range.appendLeaf(leafHash(body));
    rootAt.set(range.size, range.root());
    if (signedAt.includes(range.size)) {
      checkpoints.push({
        size: range.size,
        note: signCheckpoint({ origin: ORIGIN, size: range.size, root: range.root(), time: 1 }, key),
      });
    }
  });
  return { bodies, checkpoints, rootAt };
}

async function* pages(events: readonly VerifiableEvent[]): AsyncGenerator<VerifiableEvent[]> {
  for (let i = 0; i < events.length; i += 3) yield events.slice(i, i + 3);
}

function stream(
  events: readonly VerifiableEvent[],
  rest: Partial<LogStream> & Pick<LogStream, 'checkpoints'>,
  key: SigningKey,
) {
  return verifyLogStream({
    mode: 'full',
    tenantId: TENANT,
    origin: ORIGIN,
    verifierKey: parseVerifierKey(key.verifierKey),
    events: pages(events),
    complete: true,
    ...rest,
  });
}

function rows(bodies: readonly string[]): VerifiableEvent[] {
  return bodies.map((body, seq) => ({ seq, body, leafHash: leafHash(body).toString('base64') }));
}

describe('the streaming verifier', () => {
  const key = signingKey();
  const log = memoryLog(12, [4, 9], key);

  it('verifies a log, counting the events after the last checkpoint as unsigned', async () => {
    const report = await stream(rows(log.bodies), { checkpoints: log.checkpoints }, key);
    expect(report).toMatchObject({
      verdict: 'verified',
      events: 12,
      checkpoints: 2,
      unsignedTail: 3,
      size: 12,
    });
    expect(report.failures).toEqual([]);
  });

  it('names the first missing sequence number', async () => {
    const events = rows(log.bodies).filter((e) => e.seq !== 6 && e.seq !== 7);
    const report = await stream(events, { checkpoints: log.checkpoints }, key);
    expect(report.verdict).toBe('integrity_failure');
    expect(report.failures[0]).toMatchObject({ code: 'gap', seq: 6 });
    expect(report.failures[0]?.message).toContain('seqs 6 to 7');
    expect(report.firstBadSeq).toBe(6);
  });

  it('finds events out of order', async () => {
    const events = rows(log.bodies);
    const reordered = [...events.slice(0, 3), events[4], events[3], ...events.slice(5)] as VerifiableEvent[];
    const report = await stream(reordered, { checkpoints: log.checkpoints }, key);
    // The root at size 4 is compared before seq 3 turns up late.
    expect(report.failures.map((f) => [f.code, f.seq ?? f.size])).toEqual([
      ['gap', 3],
      ['root_mismatch', 4],
      ['sequence_mismatch', 3],
      ['root_mismatch', 9],
    ]);
  });

  it('rejects a body that is not JSON, not canonical, not an event or of another tenant', async () => {
    const events = rows(log.bodies);
    const spaced = (log.bodies[2] as string).replace('"seq":2', '"seq": 2');
    const cases: [number, string, string][] = [
      [1, '{"v":1,', 'malformed_event'],
      [2, spaced, 'malformed_event'],
      [3, canonicalJson({ v: 1, seq: 3 }), 'malformed_event'],
      [5, bodyOf(5, 'ten_other'), 'tenant_mismatch'],
    ];
    for (const [seq, body] of cases) events[seq] = { seq, body };
    const report = await stream(events, { checkpoints: log.checkpoints }, key);
    const eventFailures = report.failures.filter((f) => f.seq !== undefined);
    expect(eventFailures.map((f) => [f.seq, f.code])).toEqual(cases.map(([seq, , code]) => [seq, code]));
    const [firstRoot] = report.failures.filter((f) => f.code === 'root_mismatch');
    expect(firstRoot).toMatchObject({ size: 4 });
    expect(firstRoot?.message).toContain('[0, 3]');
  });

  it('reports signed sizes the log never reached as truncation, and an extra root at a signed size', async () => {
    const other = memoryLog(12, [9], key);
    const forged = signCheckpoint({ origin: ORIGIN, size: 9, root: leafHash('x'), time: 2 }, key);
    const report = await stream(
      rows(log.bodies.slice(0, 8)),
      { checkpoints: [...log.checkpoints, ...other.checkpoints, { size: 9, note: forged }] },
      key,
    );
    expect(report.failures.map((f) => [f.code, f.size])).toEqual([
      ['inconsistent_checkpoints', 9],
      ['truncation', 9],
    ]);
    expect(report.failures[1]?.message).toBe('the log has 8 events, but a checkpoint of it signed size 9');
  });

  it('tells a trusted checkpoint with another root (fork) from one the log never reached (truncation)', async () => {
    const elsewhere = signCheckpoint(
      { origin: ORIGIN, size: 6, root: leafHash('other history'), time: 3 },
      key,
    );
    const kept = signCheckpoint({ origin: ORIGIN, size: 20, root: leafHash('future'), time: 3 }, key);
    const report = await stream(
      rows(log.bodies),
      {
        checkpoints: log.checkpoints,
        trusted: [
          trustedCheckpointFromNote('anchor', elsewhere),
          trustedCheckpointFromNote('from-checkpoint', kept),
        ],
      },
      key,
    );
    expect(report.failures.map((f) => [f.code, f.size, f.source])).toEqual([
      ['fork', 6, 'anchor'],
      ['truncation', 20, 'from-checkpoint'],
    ]);
    expect(report.trusted).toEqual([
      { source: 'anchor', size: 6, status: 'failed' },
      { source: 'from-checkpoint', size: 20, status: 'failed' },
    ]);
  });

  it('refuses checkpoints signed by another key or for another log', async () => {
    const stranger = signingKey();
    const root = log.rootAt.get(4) as Buffer;
    const report = await stream(
      rows(log.bodies),
      {
        checkpoints: [
          { size: 4, note: signCheckpoint({ origin: ORIGIN, size: 4, root, time: 1 }, stranger) },
          { size: 9, note: signCheckpoint({ origin: 'warden/ten_other', size: 9, root, time: 1 }, key) },
        ],
      },
      key,
    );
    expect(report.failures.map((f) => [f.code, f.size])).toEqual([
      ['bad_signature', 4],
      ['bad_signature', 9],
    ]);
    expect(report.failures[1]?.message).toContain('signed for log warden/ten_other');
    expect(report.unsignedTail).toBe(12);
  });
});

function expectVerified(report: VerifyReport): void {
  expect(report.failures, report.reason).toEqual([]);
  expect(report.verdict).toBe('verified');
}

describe.each(DATABASES)('verifying a tenant log (%s)', (db) => {
  let t: TestNode;
  let tenantId: string;
  let signed: number[];
  let size: number;

  beforeAll(async () => {
    t = await startTestNode(db, { settings: MANUAL_CHECKPOINTS });
    tenantId = tenantOf(t.node);
    signed = await growLog(t.node, tenantId, [5, 7, 20]);
    size = await appendEvents(t.node, tenantId, 3);
  });
  afterAll(() => t.close());

  it('verifies every event and checkpoint from the database, with the anchors', async () => {
    const progress: [number, number][] = [];
    const report = await verifyFromDatabase(
      t.node.storage,
      tenantId,
      verifyOptions(t.node, {
        full: true,
        pageSize: 4,
        anchorDir: t.node.config.auditAnchorDir,
        onProgress: (done, total) => progress.push([done, total]),
      }),
    );
    expectVerified(report);
    expect(report).toMatchObject({ mode: 'full', events: size, size, checkpoints: 3, unsignedTail: 3 });
    const state = await t.node.storage.db
      .selectFrom('audit_log_state')
      .select('root')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    expect(report.root).toBe(state.root);
    expect(report.trusted).toEqual(signed.map((s) => ({ source: 'anchor', size: s, status: 'consistent' })));
    expect(progress.at(-1)).toEqual([size, size]);
    expect(progress.length).toBeGreaterThanOrEqual(Math.ceil(size / 4));
  });

  it('verifies the signed history quickly from the stored tree, by tenant slug', async () => {
    const report = await verifyFromDatabase(
      t.node.storage,
      t.node.bootstrap.tenant.slug,
      verifyOptions(t.node, { anchorDir: t.node.config.auditAnchorDir }),
    );
    expectVerified(report);
    expect(report).toMatchObject({
      mode: 'quick',
      tenant: tenantId,
      size,
      events: 0,
      checkpoints: 3,
      unsignedTail: 3,
    });
    expect(report.trusted.every((r) => r.status === 'consistent')).toBe(true);
  });

  it('checks a checkpoint kept from earlier against the log', async () => {
    const note = await t.node.storage.db
      .selectFrom('audit_checkpoints')
      .select('note')
      .where('tenant_id', '=', tenantId)
      .where('size', '=', signed[0] as number)
      .executeTakeFirstOrThrow();
    const trusted = [trustedCheckpointFromNote('from-checkpoint', note.note)];
    for (const full of [false, true]) {
      const report = await verifyFromDatabase(
        t.node.storage,
        tenantId,
        verifyOptions(t.node, { full, trusted }),
      );
      expectVerified(report);
      expect(report.trusted).toEqual([{ source: 'from-checkpoint', size: signed[0], status: 'consistent' }]);
    }
  });

  it('verifies one event and its inclusion in the latest checkpoint', async () => {
    const row = await t.node.storage.db
      .selectFrom('audit_events')
      .select(['id', 'seq'])
      .where('tenant_id', '=', tenantId)
      .where('seq', '=', (signed[1] as number) + 2)
      .executeTakeFirstOrThrow();
    const report = await verifyEventFromDatabase(t.node.storage, tenantId, row.id, verifyOptions(t.node));
    expectVerified(report);
    expect(report).toMatchObject({ mode: 'event', size: signed[2], events: 1, checkpoints: 1 });
  });

  it('cannot verify an event no checkpoint covers yet, an unknown event or tenant, or without a usable key', async () => {
    const tail = await t.node.storage.db
      .selectFrom('audit_events')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('seq', '=', size - 1)
      .executeTakeFirstOrThrow();
    const unsigned = await verifyEventFromDatabase(t.node.storage, tenantId, tail.id, verifyOptions(t.node));
    expect(unsigned.verdict).toBe('cannot_verify');
    expect(unsigned.reason).toContain('not covered by a checkpoint yet');
    const unknown = await verifyEventFromDatabase(
      t.node.storage,
      tenantId,
      'evt_nope',
      verifyOptions(t.node),
    );
    expect(unknown.reason).toContain('no event evt_nope');
    const tenant = await verifyFromDatabase(t.node.storage, 'nobody', verifyOptions(t.node));
    expect(tenant).toMatchObject({ verdict: 'cannot_verify', reason: 'no tenant "nobody" in this database' });
    const key = await verifyFromDatabase(
      t.node.storage,
      tenantId,
      verifyOptions(t.node, { verifierKey: 'warden+zz' }),
    );
    expect(key.verdict).toBe('cannot_verify');
    expect(key.reason).toContain('Invalid verifier key');
  });

  it('fails the log against a checkpoint of another log or from another key', async () => {
    const root = Buffer.alloc(32, 7);
    const otherLog = signCheckpoint(
      { origin: 'warden/ten_other', size: 2, root, time: 1 },
      t.node.auditTrail.signingKey,
    );
    const otherKey = signCheckpoint(
      { origin: t.node.auditTrail.origin(tenantId), size: 2, root, time: 1 },
      signingKey(),
    );
    const report = await verifyFromDatabase(
      t.node.storage,
      tenantId,
      verifyOptions(t.node, {
        trusted: [
          trustedCheckpointFromNote('from-checkpoint', otherLog),
          trustedCheckpointFromNote('anchor', otherKey),
        ],
      }),
    );
    expect(report.verdict).toBe('integrity_failure');
    expect(report.failures.map((f) => [f.code, f.source, f.size])).toEqual([
      ['bad_signature', 'from-checkpoint', 2],
      ['bad_signature', 'anchor', 2],
    ]);
  });

  it('verifies an export of the whole log and of a window, pinned to the key or not', async () => {
    const whole = await exportOf(t.node, tenantId, 0, signed[2] as number);
    const pinned = await verifyExport(linesSource(whole), {
      verifierKey: t.node.auditTrail.signingKey.verifierKey,
    });
    expectVerified(pinned);
    expect(pinned).toMatchObject({
      mode: 'export',
      events: signed[2],
      checkpoints: 3,
      unsignedTail: 0,
      keySource: 'given',
    });

    const [b, e] = [(signed[0] as number) + 2, (signed[1] as number) + 4];
    const progress: number[] = [];
    const window = await verifyExport(linesSource(await exportOf(t.node, tenantId, b, e)), {
      anchorDir: t.node.config.auditAnchorDir,
      onProgress: (done, total) => progress.push(done, total),
    });
    expectVerified(window);
    expect(window).toMatchObject({ events: e - b, size: signed[2], checkpoints: 2, keySource: 'export' });
    expect(window.trusted).toEqual([
      { source: 'anchor', size: signed[0], status: 'not_covered' },
      { source: 'anchor', size: signed[1], status: 'consistent' },
      { source: 'anchor', size: signed[2], status: 'consistent' },
    ]);
    expect(progress.slice(-2)).toEqual([e - b, e - b]);

    const stranger = await verifyExport(linesSource(whole), { verifierKey: signingKey().verifierKey });
    expect(stranger.verdict).toBe('integrity_failure');
    expect(stranger.failures[0]).toMatchObject({ code: 'bad_signature', size: signed[0] });
  });

  it('names the line of an export that is not in the format', async () => {
    const lines = await exportOf(t.node, tenantId, 0, signed[1] as number);
    const cases: [string[], string][] = [
      [[], 'export line 1: the export is empty'],
      [['{"kind":"something"}', ...lines.slice(1)], 'export line 1: not a Warden audit export'],
      [[...lines.slice(0, 3), 'not json', ...lines.slice(3)], 'export line 4: not JSON'],
      [lines.slice(0, -1), 'the export ends without its suffix line'],
      [
        [...lines, lines[1] as string],
        `export line ${lines.length + 1}: unexpected "event" line after the suffix`,
      ],
    ];
    for (const [broken, reason] of cases) {
      const report = await verifyExport(linesSource(broken));
      expect(report.verdict).toBe('cannot_verify');
      expect(report.reason).toContain(reason);
    }
  });

  it('reports an event removed from an export, its tail cut or an event added as tampering', async () => {
    const lines = await exportOf(t.node, tenantId, 0, signed[1] as number);
    const key = { verifierKey: t.node.auditTrail.signingKey.verifierKey };
    const last = (signed[1] as number) - 1;
    const removed = await verifyExport(linesSource([...lines.slice(0, 3), ...lines.slice(4)]), key);
    expect(removed.verdict).toBe('integrity_failure');
    expect(removed.failures[0]).toEqual({ code: 'gap', seq: 2, message: 'seq 2 is missing from the log' });
    expect(removed.failures).toContainEqual({
      code: 'truncation',
      seq: last,
      message: `the export announces events 0 to ${last} but holds ${last} events: 1 removed or the tail cut`,
    });

    const cut = await verifyExport(linesSource([...lines.slice(0, last + 1), ...lines.slice(last + 2)]), key);
    expect(cut.verdict).toBe('integrity_failure');
    expect(cut.failures[0]).toMatchObject({ code: 'truncation', seq: last });
    expect(cut.failures[1]).toMatchObject({ code: 'truncation', size: signed[1] });

    const added = await verifyExport(linesSource([...lines.slice(0, 2), ...lines.slice(1)]), key);
    expect(added.verdict).toBe('integrity_failure');
    expect(added.failures.map((f) => f.code)).toContain('sequence_mismatch');
  });

  it('finds a tampered event in an export', async () => {
    const lines = await exportOf(t.node, tenantId, 0, signed[1] as number);
    const line = JSON.parse(lines[3] as string);
    line.event.type = 'decision.deny';
    lines[3] = JSON.stringify(line);
    const report = await verifyExport(linesSource(lines), {
      verifierKey: t.node.auditTrail.signingKey.verifierKey,
    });
    expect(report.verdict).toBe('integrity_failure');
    expect(report.failures[0]).toMatchObject({ code: 'root_mismatch', size: signed[0] });
    expect(report.failures[0]?.message).toContain(`[0, ${(signed[0] as number) - 1}]`);
  });
});

function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reverseKeys(v)]),
  );
}
