import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalJson } from '@warden/policy';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateSigningKey, signCheckpoint } from '../../src/audit/checkpoint/index.js';
import { leafHash } from '../../src/audit/merkle/index.js';
import { columnsOf, type StoredEvent } from '../../src/audit/stored-event.js';
import { type VerifyReport, verifyFromDatabase } from '../../src/audit/verify/index.js';
import { openStorage, type Storage } from '../../src/storage/database.js';
import { DATABASES, startTestNode, type TestDatabaseHandle, type TestNode } from '../helpers/test-node.js';
import {
  appendEvents,
  dropAuditGuards,
  growLog,
  logSize,
  MANUAL_CHECKPOINTS,
  rebuildLogState,
  tenantOf,
  verifyOptions,
} from './verify-fixtures.js';

const AUDIT_TABLES = ['audit_events', 'audit_nodes', 'audit_checkpoints', 'audit_log_state'] as const;

/**
 * The tamper suite: an attacker with full database access (append-only triggers dropped)
 * changes the log in each way the verifier must catch, and each test checks that verification names
 * what happened and where.
 */
describe.each(DATABASES)('a tampered audit log (%s)', (db) => {
  let t: TestNode;
  let tenantId: string;
  let signed: number[];
  let size: number;

  beforeEach(async () => {
    t = await startTestNode(db, { settings: MANUAL_CHECKPOINTS });
    tenantId = tenantOf(t.node);
    signed = await growLog(t.node, tenantId, [6, 6, 6]);
    size = await appendEvents(t.node, tenantId, 4);
  });
  afterEach(() => t.close());

  const at = (i: number) => signed[i] as number;

  function verify(full: boolean, storage: Storage = t.node.storage): Promise<VerifyReport> {
    const anchorDir = t.node.config.auditAnchorDir;
    return verifyFromDatabase(storage, tenantId, verifyOptions(t.node, { full, anchorDir }));
  }

  async function eventAt(seq: number) {
    return t.node.storage.db
      .selectFrom('audit_events')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('seq', '=', seq)
      .executeTakeFirstOrThrow();
  }

  /** Rewrites an event's body; `consistent` also rewrites its leaf hash and columns to match. */
  async function rewriteEvent(seq: number, change: (event: StoredEvent) => StoredEvent, consistent: boolean) {
    const row = await eventAt(seq);
    const event = change(JSON.parse(row.body) as StoredEvent);
    const body = canonicalJson(event);
    await t.node.storage.db
      .updateTable('audit_events')
      .set({
        body,
        ...(consistent ? { ...columnsOf(event), leaf_hash: leafHash(body).toString('base64') } : {}),
      })
      .where('tenant_id', '=', tenantId)
      .where('seq', '=', seq)
      .execute();
  }

  it('is guarded by triggers against UPDATE, DELETE and TRUNCATE', async () => {
    const { db: kysely } = t.node.storage;
    const refusals = [
      kysely.updateTable('audit_events').set({ type: 'x' }).where('tenant_id', '=', tenantId),
      kysely.deleteFrom('audit_events').where('tenant_id', '=', tenantId),
      kysely.updateTable('audit_nodes').set({ hash: 'x' }).where('tenant_id', '=', tenantId),
      kysely.deleteFrom('audit_nodes').where('tenant_id', '=', tenantId),
      kysely.updateTable('audit_checkpoints').set({ note: 'x' }).where('tenant_id', '=', tenantId),
      kysely.deleteFrom('audit_checkpoints').where('tenant_id', '=', tenantId),
    ];
    for (const statement of refusals) await expect(statement.execute()).rejects.toThrow(/append-only/);
    if (db === 'postgres') {
      for (const table of ['audit_events', 'audit_nodes', 'audit_checkpoints']) {
        await expect(sql.raw(`TRUNCATE ${table}`).execute(kysely)).rejects.toThrow(/append-only/);
      }
    }
    const report = await verify(true);
    expect(report.verdict).toBe('verified');
    expect(report.events).toBe(size);
  });

  describe('with the guards dropped', () => {
    beforeEach(() => dropAuditGuards(t.node.storage));

    it('finds a changed field of an event body at its seq', async () => {
      const seq = at(0) + 2;
      await rewriteEvent(seq, (e) => ({ ...e, effect: 'deny' }), false);
      const report = await verify(true);
      expect(report.verdict).toBe('integrity_failure');
      expect(report.failures[0]).toMatchObject({ code: 'leaf_mismatch', seq });
      expect(report.failures[1]).toMatchObject({ code: 'column_mismatch', seq });
      expect(report.failures[1]?.message).toContain('effect');
      expect(report.failures[2]).toMatchObject({ code: 'root_mismatch', size: at(1) });
      expect(report.firstBadSeq).toBe(seq);
    });

    it('bounds a changed event whose leaf hash was rewritten too by the checkpoints around it', async () => {
      const seq = at(0) + 2;
      await rewriteEvent(seq, (e) => ({ ...e, effect: 'deny' }), true);
      const report = await verify(true);
      expect(report.failures[0]).toMatchObject({ code: 'root_mismatch', size: at(1) });
      expect(report.failures[0]?.message).toContain(`an event with seq in [${at(0)}, ${at(1) - 1}]`);
    });

    it('finds a query column changed behind the body', async () => {
      const seq = at(1) + 1;
      await t.node.storage.db
        .updateTable('audit_events')
        .set({ tool: 'payments.refund' })
        .where('tenant_id', '=', tenantId)
        .where('seq', '=', seq)
        .execute();
      const report = await verify(true);
      expect(report.verdict).toBe('integrity_failure');
      expect(report.failures).toEqual([
        {
          code: 'column_mismatch',
          seq,
          message: `the query columns of seq ${seq} differ from its body: tool`,
        },
      ]);
    });

    it('finds a deleted event', async () => {
      const seq = at(1) + 3;
      await t.node.storage.db
        .deleteFrom('audit_events')
        .where('tenant_id', '=', tenantId)
        .where('seq', '=', seq)
        .execute();
      const report = await verify(true);
      expect(report.failures[0]).toMatchObject({
        code: 'gap',
        seq,
        message: `seq ${seq} is missing from the log`,
      });
    });

    it('finds two swapped events', async () => {
      const [first, second] = [at(0) + 1, at(0) + 3];
      const [a, b] = [await eventAt(first), await eventAt(second)];
      const events = t.node.storage.db.updateTable('audit_events').where('tenant_id', '=', tenantId);
      const { seq: _a, tenant_id: _ta, ...aFields } = a;
      const { seq: _b, tenant_id: _tb, ...bFields } = b;
      await events.set({ id: 'evt_swapping' }).where('seq', '=', first).execute();
      await events.set(aFields).where('seq', '=', second).execute();
      await events.set(bFields).where('seq', '=', first).execute();
      const report = await verify(true);
      expect(report.failures[0]).toMatchObject({ code: 'sequence_mismatch', seq: first });
      expect(report.failures[0]?.message).toBe(
        `the event at seq ${first} is signed as seq ${second} (events moved or swapped)`,
      );
      expect(report.failures.find((f) => f.seq === second)?.code).toBe('sequence_mismatch');
    });

    it('finds a forged event inserted in the middle, the later ones renumbered', async () => {
      const seq = at(0) + 2;
      const events = t.node.storage.db.updateTable('audit_events').where('tenant_id', '=', tenantId);
      // Two steps, so no row ever lands on a seq another still holds.
      await events.set({ seq: sql`-(seq + 1)` }).where('seq', '>=', seq).execute();
      await events.set({ seq: sql`-seq` }).where('seq', '<', 0).execute();
      for (let moved = seq + 1; moved <= size; moved++) {
        await rewriteEvent(moved, (e) => ({ ...e, seq: moved }), true);
      }
      const template = JSON.parse((await eventAt(seq - 1)).body) as StoredEvent;
      const forged: StoredEvent = { ...template, id: 'evt_forged', seq, payload: { note: 'never happened' } };
      const body = canonicalJson(forged);
      await t.node.storage.db
        .insertInto('audit_events')
        .values({ ...columnsOf(forged), body, leaf_hash: leafHash(body).toString('base64') })
        .execute();
      expect(await rebuildLogState(t.node.storage.db, tenantId)).toBe(size + 1);

      const report = await verify(true);
      expect(report.failures[0]).toMatchObject({ code: 'root_mismatch', size: at(1) });
      expect(report.failures[0]?.message).toContain(`[${at(0)}, ${at(1) - 1}]`);
      expect(report.failures.some((f) => f.code === 'fork')).toBe(false);
    });

    it('finds a cut tail against the newer anchored checkpoints', async () => {
      const cut = at(1) - 2;
      const { db: kysely } = t.node.storage;
      await kysely
        .deleteFrom('audit_events')
        .where('tenant_id', '=', tenantId)
        .where('seq', '>=', cut)
        .execute();
      await kysely
        .deleteFrom('audit_checkpoints')
        .where('tenant_id', '=', tenantId)
        .where('size', '>', cut)
        .execute();
      expect(await rebuildLogState(kysely, tenantId)).toBe(cut);

      for (const full of [true, false]) {
        const report = await verify(full);
        expect(report.verdict).toBe('integrity_failure');
        expect(report.failures[0]).toEqual({
          code: 'truncation',
          size: at(1),
          source: 'anchor',
          message: `the log has ${cut} events, but the anchor checkpoint signed size ${at(1)}`,
        });
        expect(report.failures[1]).toMatchObject({ code: 'truncation', size: at(2), source: 'anchor' });
      }
      // Without the anchors, a consistently cut log is indistinguishable from a shorter one.
      const alone = await verifyFromDatabase(t.node.storage, tenantId, verifyOptions(t.node, { full: true }));
      expect(alone.verdict).toBe('verified');
    });

    it('refuses a checkpoint re-signed with another key', async () => {
      const otherKey = await loadOrCreateSigningKey(join(t.database.dataDir, 'attacker.key'), 'warden');
      const root = Buffer.alloc(32, 1);
      const origin = t.node.auditTrail.origin(tenantId);
      const note = signCheckpoint({ origin, size: at(1), root, time: Date.now() }, otherKey);
      await t.node.storage.db
        .updateTable('audit_checkpoints')
        .set({ note, root: root.toString('base64') })
        .where('tenant_id', '=', tenantId)
        .where('size', '=', at(1))
        .execute();
      for (const full of [true, false]) {
        const report = await verify(full);
        expect(report.failures[0]).toMatchObject({ code: 'bad_signature', size: at(1) });
        expect(report.failures[0]?.message).toContain('unknown key');
      }
    });

    it('refuses a checkpoint whose root was edited under the old signature', async () => {
      const row = await t.node.storage.db
        .selectFrom('audit_checkpoints')
        .select('note')
        .where('tenant_id', '=', tenantId)
        .where('size', '=', at(1))
        .executeTakeFirstOrThrow();
      const lines = row.note.split('\n');
      lines[2] = Buffer.alloc(32, 2).toString('base64');
      await t.node.storage.db
        .updateTable('audit_checkpoints')
        .set({ note: lines.join('\n') })
        .where('tenant_id', '=', tenantId)
        .where('size', '=', at(1))
        .execute();
      for (const full of [true, false]) {
        const report = await verify(full);
        expect(report.failures[0]).toMatchObject({ code: 'bad_signature', size: at(1) });
        expect(report.failures[0]?.message).toContain('bad signature');
      }
    });
  });
});

/** A database backup and its restore, the way an operator would do it on each database. */
interface Backup {
  restore(): Promise<void>;
}

async function backUp(t: TestNode): Promise<Backup> {
  const { storage, config } = t.node;
  if (storage.dialect === 'sqlite') {
    const file = join(t.database.dataDir, 'backup.db');
    await sql`vacuum into ${file}`.execute(storage.db);
    const live = join(config.dataDir, 'warden.db');
    return {
      async restore() {
        await rm(`${live}-wal`, { force: true });
        await rm(`${live}-shm`, { force: true });
        await copyFile(file, live);
      },
    };
  }
  for (const table of AUDIT_TABLES) {
    await sql.raw(`CREATE TABLE backup_${table} AS SELECT * FROM ${table}`).execute(storage.db);
  }
  return {
    async restore() {
      const restoring = openStorage(config);
      try {
        await dropAuditGuards(restoring);
        for (const table of AUDIT_TABLES) {
          await sql.raw(`DELETE FROM ${table}`).execute(restoring.db);
          await sql.raw(`INSERT INTO ${table} SELECT * FROM backup_${table}`).execute(restoring.db);
        }
      } finally {
        await restoring.close();
      }
    },
  };
}

describe.each(DATABASES)('an audit log restored from an older backup (%s)', (db) => {
  let first: TestNode;
  let database: TestDatabaseHandle;
  let tenantId: string;
  let signed: number[];
  let backupSize: number;

  beforeEach(async () => {
    first = await startTestNode(db, { settings: MANUAL_CHECKPOINTS });
    database = first.database;
    tenantId = tenantOf(first.node);
    signed = await growLog(first.node, tenantId, [6]);
    backupSize = await appendEvents(first.node, tenantId, 2);
    const backup = await backUp(first);
    signed.push(...(await growLog(first.node, tenantId, [6, 6])));
    // The node stops, its database is restored; the anchor directory keeps the newer checkpoints.
    await first.node.close();
    await backup.restore();
  });
  afterEach(() => database.drop());

  function verify(storage: Storage, full: boolean): Promise<VerifyReport> {
    const anchorDir = first.node.config.auditAnchorDir;
    return verifyFromDatabase(storage, tenantId, verifyOptions(first.node, { full, anchorDir }));
  }

  it('reports the anchored sizes the restored log lacks as truncation', async () => {
    const storage = openStorage(first.node.config);
    try {
      expect(await logSize(storage.db, tenantId)).toBe(backupSize);
      for (const full of [true, false]) {
        const report = await verify(storage, full);
        expect(report.failures.map((f) => [f.code, f.size, f.source])).toEqual([
          ['truncation', signed[1], 'anchor'],
          ['truncation', signed[2], 'anchor'],
        ]);
        expect(report.failures[0]?.message).toBe(
          `the log has ${backupSize} events, but the anchor checkpoint signed size ${signed[1]}`,
        );
      }
    } finally {
      await storage.close();
    }
  });

  it('reports a fork once the restored log grows past the anchored sizes with other events', async () => {
    const second = await startTestNode(db, { settings: MANUAL_CHECKPOINTS, shared: database });
    try {
      const grown = await logSize(second.node.storage.db, tenantId);
      const target = (signed[2] as number) + 3;
      await appendEvents(second.node, tenantId, target - grown);
      await second.node.auditTrail.checkpointer.run();
      for (const full of [true, false]) {
        const report = await verify(second.node.storage, full);
        expect(report.verdict).toBe('integrity_failure');
        expect(report.failures.map((f) => [f.code, f.size, f.source])).toEqual([
          ['fork', signed[1], 'anchor'],
          ['fork', signed[2], 'anchor'],
        ]);
        expect(report.trusted.find((r) => r.size === signed[0])?.status).toBe('consistent');
      }
    } finally {
      await second.close();
    }
  });
});
