import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { canonicalJson } from '@warden/policy';
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anchorFilePath, loadOrCreateSigningKey, signCheckpoint } from '../../src/audit/checkpoint/index.js';
import { CompactRange, leafHash } from '../../src/audit/merkle/index.js';
import { columnsOf, type StoredEvent } from '../../src/audit/stored-event.js';
import { readEventKey, verifyFromDatabase } from '../../src/audit/verify/index.js';
import { openStorage } from '../../src/storage/database.js';
import type { Database } from '../../src/storage/schema.js';
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

/**
 * What someone with write access to the database alone (not to the node's key files) does: appends
 * a well-formed event at the end of the log, with the right leaf hash, tree nodes and log state.
 */
async function forgeTailEvent(db: Kysely<Database>, tenantId: string): Promise<number> {
  const state = await db
    .selectFrom('audit_log_state')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  const last = await db
    .selectFrom('audit_events')
    .select('body')
    .where('tenant_id', '=', tenantId)
    .where('seq', '=', state.size - 1)
    .executeTakeFirstOrThrow();
  const seq = state.size;
  const template = JSON.parse(last.body) as StoredEvent;
  const forged: StoredEvent = {
    ...template,
    id: `evt_forged${seq}`,
    seq,
    payload: { note: 'never happened' },
  };
  const body = canonicalJson(forged);
  const leaf = leafHash(body);
  await db
    .insertInto('audit_events')
    .values({ ...columnsOf(forged), body, leaf_hash: leaf.toString('base64'), mac: null })
    .execute();
  const hashes = (JSON.parse(state.compact_range) as string[]).map((h) => Buffer.from(h, 'base64'));
  const range = CompactRange.from(state.size, hashes);
  const nodes: { tenant_id: string; level: number; idx: number; hash: string }[] = [];
  range.appendLeaf(leaf, (ref, hash) =>
    nodes.push({ tenant_id: tenantId, level: ref.level, idx: ref.index, hash: hash.toString('base64') }),
  );
  if (nodes.length > 0) await db.insertInto('audit_nodes').values(nodes).execute();
  await rebuildLogState(db, tenantId);
  return seq;
}

async function checkpointSizes(db: Kysely<Database>, tenantId: string): Promise<number[]> {
  const rows = await db
    .selectFrom('audit_checkpoints')
    .select('size')
    .where('tenant_id', '=', tenantId)
    .orderBy('size')
    .execute();
  return rows.map((r) => r.size);
}

describe.each(DATABASES)('the audit trail against an attacker with database access only (%s)', (db) => {
  let first: TestNode;
  let database: TestDatabaseHandle;
  let tenantId: string;
  let signed: number[];
  let size: number;
  const running: TestNode[] = [];

  beforeEach(async () => {
    first = await startTestNode(db, { settings: MANUAL_CHECKPOINTS });
    running.push(first);
    database = first.database;
    tenantId = tenantOf(first.node);
    signed = await growLog(first.node, tenantId, [5, 4]);
    size = await appendEvents(first.node, tenantId, 3);
  });
  afterEach(async () => {
    for (const t of running.splice(0)) await t.node.close().catch(() => undefined);
    await database.drop();
  });

  async function startAnother(): Promise<TestNode> {
    const node = await startTestNode(db, { settings: MANUAL_CHECKPOINTS, shared: database });
    running.push(node);
    return node;
  }

  async function stopFirst(): Promise<void> {
    running.splice(running.indexOf(first), 1);
    await first.node.close();
  }

  it('refuses REPLACE and upserts over existing rows of the append-only tables', async () => {
    const { db: kysely } = first.node.storage;
    const event = await kysely
      .selectFrom('audit_events')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('seq', '=', 1)
      .executeTakeFirstOrThrow();
    const checkpoint = await kysely
      .selectFrom('audit_checkpoints')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('size', '=', signed[0] as number)
      .executeTakeFirstOrThrow();
    const node = await kysely
      .selectFrom('audit_nodes')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .limit(1)
      .executeTakeFirstOrThrow();
    const upserts = [
      kysely
        .insertInto('audit_events')
        .values({ ...event, type: 'decision.deny' })
        .onConflict((oc) => oc.columns(['tenant_id', 'seq']).doUpdateSet({ type: 'decision.deny' })),
      kysely
        .insertInto('audit_checkpoints')
        .values({ ...checkpoint, note: 'forged' })
        .onConflict((oc) => oc.columns(['tenant_id', 'size']).doUpdateSet({ note: 'forged' })),
      kysely
        .insertInto('audit_nodes')
        .values({ ...node, hash: 'forged' })
        .onConflict((oc) => oc.columns(['tenant_id', 'level', 'idx']).doUpdateSet({ hash: 'forged' })),
    ];
    // PostgreSQL has no REPLACE; SQLite's deletes the old row without firing DELETE triggers.
    const replaces =
      db === 'sqlite'
        ? [
            kysely.replaceInto('audit_events').values({ ...event, type: 'decision.deny' }),
            // The event id is unique too: replacing on it would delete seq 1 from under another seq.
            kysely.replaceInto('audit_events').values({ ...event, seq: size + 10 }),
            kysely.replaceInto('audit_checkpoints').values({ ...checkpoint, note: 'forged' }),
            kysely.replaceInto('audit_nodes').values({ ...node, hash: 'forged' }),
          ]
        : [];
    for (const statement of [...upserts, ...replaces])
      await expect(statement.execute(), statement.compile().sql).rejects.toThrow(/append-only/);

    const after = await kysely
      .selectFrom('audit_events')
      .select(['type', 'body'])
      .where('tenant_id', '=', tenantId)
      .where('seq', '=', 1)
      .executeTakeFirstOrThrow();
    expect(after).toEqual({ type: event.type, body: event.body });
    const report = await verifyFromDatabase(
      first.node.storage,
      tenantId,
      verifyOptions(first.node, { full: true, anchorDir: first.node.config.auditAnchorDir }),
    );
    expect(report).toMatchObject({ verdict: 'verified', events: size, checkpoints: 2 });
    // Checkpointing, which does insert concurrently, still stores each size once.
    await first.node.auditTrail.checkpointer.run();
    await first.node.auditTrail.checkpointer.run();
    expect(await checkpointSizes(kysely, tenantId)).toEqual([...signed, size]);
  });

  it('finds an event forged at the end while the node was stopped, and will not start over it', async () => {
    await stopFirst();
    const { config } = first.node;
    const eventKey = await readEventKey(config.auditKeyEncryptionKeyFile);
    expect(eventKey).toBeDefined();
    const storage = openStorage(config);
    let seq: number;
    try {
      seq = await forgeTailEvent(storage.db, tenantId);
      expect(seq).toBe(size);
      for (const full of [true, false]) {
        const options = verifyOptions(first.node, {
          full,
          anchorDir: config.auditAnchorDir,
          ...{ eventKey },
        });
        const report = await verifyFromDatabase(storage, tenantId, options);
        expect(report.verdict, `full: ${full}`).toBe('integrity_failure');
        expect(report.failures).toEqual([
          {
            code: 'unvouched_event',
            seq,
            message: `seq ${seq} is after the last signed checkpoint and carries no valid MAC of this deployment: no node wrote it (inserted or altered in the database)`,
          },
        ]);
      }
      // Without the key-encryption key, a verifier can only say the tail is unsigned (docs/audit.md).
      const blind = await verifyFromDatabase(storage, tenantId, verifyOptions(first.node, { full: true }));
      expect(blind).toMatchObject({ verdict: 'verified', unsignedTail: 1 });
      expect(blind.tailVouched).toBeUndefined();
    } finally {
      await storage.close();
    }
    await expect(startAnother()).rejects.toThrow(
      new RegExp(`tampered with: event at seq ${seq} after the last signed checkpoint carry no valid MAC`),
    );
    const again = openStorage(config);
    try {
      // Closing the old node signed its own events; nothing was signed over the forged one.
      expect(await checkpointSizes(again.db, tenantId)).toEqual([...signed, size]);
    } finally {
      await again.close();
    }
  });

  it('signs no checkpoint over an event forged while the node runs, nor over what follows it', async () => {
    const { db: kysely } = first.node.storage;
    await first.node.auditTrail.checkpointer.run();
    const seq = await forgeTailEvent(kysely, tenantId);
    await appendEvents(first.node, tenantId, 2);
    await first.node.auditTrail.checkpointer.run();
    expect(await checkpointSizes(kysely, tenantId)).toEqual([...signed, seq]);
    expect(await logSize(kysely, tenantId)).toBe(seq + 3);
  });

  it('starts over an unsigned tail its nodes wrote, and signs it; older events need no MAC', async () => {
    await dropAuditGuards(first.node.storage);
    // Events from before the MAC column: covered by a signed checkpoint, so they need none.
    await first.node.storage.db
      .updateTable('audit_events')
      .set({ mac: null })
      .where('tenant_id', '=', tenantId)
      .where('seq', '<', signed[1] as number)
      .execute();
    const second = await startAnother();
    await second.node.auditTrail.checkpointer.run();
    expect(await checkpointSizes(second.node.storage.db, tenantId)).toEqual([...signed, size]);
  });

  it('tells an anchor file a crash tore from a forged one', async () => {
    const { db: kysely } = first.node.storage;
    await first.node.auditTrail.checkpointer.run();
    const anchorDir = first.node.config.auditAnchorDir;
    const origin = first.node.auditTrail.origin(tenantId);
    const torn = size + 2;
    await appendEvents(first.node, tenantId, 2);
    const stored = await kysely
      .selectFrom('audit_checkpoints')
      .select('note')
      .where('tenant_id', '=', tenantId)
      .where('size', '=', size)
      .executeTakeFirstOrThrow();
    // What the older in-place write left when killed mid-write: the start of the note for its size.
    const path = anchorFilePath(anchorDir, origin, torn);
    await mkdir(dirname(path), { recursive: true });
    const state = await kysely
      .selectFrom('audit_log_state')
      .select('root')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    await writeFile(path, `${origin}\n${torn}\n${state.root}\ntime 17`);
    const options = verifyOptions(first.node, { anchorDir });
    for (const full of [true, false]) {
      const report = await verifyFromDatabase(first.node.storage, tenantId, { ...options, full });
      expect(report.verdict, `full: ${full}`).toBe('verified');
      expect(report.warnings).toEqual([
        `the anchor file for size ${torn} is incomplete (a write cut short by a crash), so it was not checked; ` +
          'the stored checkpoint at that size is checked as usual',
      ]);
    }
    // The next checkpoint at that size takes the torn file's place.
    await first.node.auditTrail.checkpointer.run();
    const repaired = await verifyFromDatabase(first.node.storage, tenantId, { ...options, full: true });
    expect(repaired).toMatchObject({
      verdict: 'verified',
      trusted: expect.arrayContaining([{ source: 'anchor', size: torn, status: 'consistent' }]),
    });
    expect(repaired.warnings).toBeUndefined();

    // A complete note whose signature fails is forged, however it got there.
    const lines = stored.note.split('\n');
    lines[2] = Buffer.alloc(32, 9).toString('base64');
    await writeFile(anchorFilePath(anchorDir, origin, size), lines.join('\n'));
    const forged = await verifyFromDatabase(first.node.storage, tenantId, { ...options, full: true });
    expect(forged.failures[0]).toMatchObject({ code: 'bad_signature', size, source: 'anchor' });
  });

  it('names an altered checkpoint row at start, not the signing key file', async () => {
    await dropAuditGuards(first.node.storage);
    const { db: kysely } = first.node.storage;
    const latest = signed[1] as number;
    const row = await kysely
      .selectFrom('audit_checkpoints')
      .select('note')
      .where('tenant_id', '=', tenantId)
      .where('size', '=', latest)
      .executeTakeFirstOrThrow();
    const lines = row.note.split('\n');
    lines[2] = Buffer.alloc(32, 7).toString('base64');
    await kysely
      .updateTable('audit_checkpoints')
      .set({ note: lines.join('\n') })
      .where('tenant_id', '=', tenantId)
      .where('size', '=', latest)
      .execute();
    const started = startAnother();
    await expect(started).rejects.toThrow(
      `The audit checkpoint row of tenant ${tenantId} at size ${latest} does not verify with this node's signing key`,
    );
    await expect(started).rejects.toThrow(/the row was altered after it was signed/);
    await expect(started).rejects.not.toThrow(/WARDEN_AUDIT_SIGNING_KEY_FILE/);

    // Re-signed with another key while the older checkpoints still verify: replaced, not a wrong key file.
    const otherKey = await loadOrCreateSigningKey(join(database.dataDir, 'attacker.key'), 'warden');
    const origin = first.node.auditTrail.origin(tenantId);
    const note = signCheckpoint(
      { origin, size: latest, root: Buffer.alloc(32, 7), time: Date.now() },
      otherKey,
    );
    await kysely
      .updateTable('audit_checkpoints')
      .set({ note })
      .where('tenant_id', '=', tenantId)
      .where('size', '=', latest)
      .execute();
    await expect(startAnother()).rejects.toThrow(
      /is signed by another key than this node's, while older checkpoints verify with it: the row was replaced/,
    );
  });
});
