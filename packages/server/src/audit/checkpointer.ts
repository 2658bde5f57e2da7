import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import type { Worker } from '../lifecycle/worker.js';
import type { Storage } from '../storage/database.js';
import {
  AnchorConflictError,
  type AnchorEntry,
  type CheckpointAnchor,
  parseVerifierKey,
  type SigningKey,
  signCheckpoint,
} from './checkpoint/index.js';
import type { CompactRange } from './merkle/index.js';
import { checkUnsignedTail } from './unsigned-tail.js';

export interface CheckpointerOptions {
  readonly storage: Storage;
  readonly key: SigningKey;
  /** The key of the events' MACs: only events carrying a valid one are signed. */
  readonly eventKey: Buffer;
  /** The checkpoint origin of a tenant's log. */
  readonly origin: (tenantId: string) => string;
  readonly anchor: CheckpointAnchor;
  /** Sign as soon as this many events are unsigned... */
  readonly every: number;
  /** ...and at least this often while any are. */
  readonly intervalMs: number;
  readonly clock: () => number;
  readonly log: FastifyBaseLogger;
}

/** A tenant's log holds what no node wrote: nothing is signed over it. */
export class UnvouchedLogError extends Error {
  override readonly name = 'UnvouchedLogError';
}

/**
 * Signs checkpoints of every tenant's log and sends them to the anchors. Every node runs one; a
 * checkpoint is stored once per (tenant, size), and the node whose insert won is the one that
 * anchors it. An anchor that fails is retried on the next round; one that holds a different
 * checkpoint for the same size is evidence of a fork and is logged as such.
 *
 * What is signed is recomputed, never taken from the (writable) log state row: the newest signed
 * checkpoint, extended by the events after it that carry a valid MAC. A tail that does not vouch for
 * itself is refused and reported as tampering.
 */
export class Checkpointer implements Worker {
  readonly name = 'audit checkpointer';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private readonly signedSize = new Map<string, number>();
  /** Per origin, the newest checkpoint no anchor took yet: it covers every older one. */
  private readonly unanchored = new Map<string, AnchorEntry>();
  /** Per tenant, the log this node last vouched for, so a round reads only the events after it. */
  private readonly vouched = new Map<string, CompactRange>();
  /** Per tenant, the tampering last reported, so a refused tail is logged once, not every round. */
  private readonly reported = new Map<string, string>();

  constructor(private readonly options: CheckpointerOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.run(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Hears of appends; once `every` events are unsigned, a checkpoint is made without waiting. */
  appended(tenantId: string, size: number): void {
    if (size - (this.signedSize.get(tenantId) ?? 0) >= this.options.every) void this.run();
  }

  /** One round; concurrent callers share it, and a call during a round schedules one more. */
  run(): Promise<void> {
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    this.running = this.round()
      .catch((error) => this.options.log.error({ err: error }, 'audit checkpoint round failed'))
      .finally(() => {
        this.running = undefined;
        if (this.rerun) {
          this.rerun = false;
          void this.run();
        }
      });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.running) await this.running;
  }

  /**
   * At start: every tenant's events after its last checkpoint must vouch for themselves, or the node
   * refuses to start rather than sign them (or append after them) later.
   */
  async assertUnsignedTailsVouched(): Promise<void> {
    for (const state of await this.dueTenants()) {
      const checked = await this.checkTail(state.tenant_id, state.size);
      if (!checked.ok)
        throw new UnvouchedLogError(
          `The audit log of tenant ${state.tenant_id} was tampered with: ${checked.problem}. ` +
            'Refusing to start; run "warden audit verify --full" and restore the database from a backup',
        );
    }
  }

  private dueTenants() {
    return this.options.storage.db
      .selectFrom('audit_log_state as s')
      .select(['s.tenant_id', 's.size', 's.root'])
      .where('s.size', '>', (eb) =>
        eb
          .selectFrom('audit_checkpoints as c')
          .select(sql<number>`coalesce(max(c.size), 0)`.as('signed'))
          .whereRef('c.tenant_id', '=', 's.tenant_id'),
      )
      .execute();
  }

  private checkTail(tenantId: string, size: number) {
    const { storage, key, origin, eventKey } = this.options;
    const from = this.vouched.get(tenantId);
    return checkUnsignedTail({
      db: storage.db,
      tenantId,
      origin: origin(tenantId),
      verifierKey: parseVerifierKey(key.verifierKey),
      eventKey,
      size,
      ...(from ? { from } : {}),
    });
  }

  private async round(): Promise<void> {
    const { key, origin, clock } = this.options;
    const due = await this.dueTenants();
    const entries = [...this.unanchored.values()];
    this.unanchored.clear();
    for (const state of due) {
      const checked = await this.checkTail(state.tenant_id, state.size);
      if (!checked.ok || checked.range.root().toString('base64') !== state.root) {
        this.refuse(
          state.tenant_id,
          checked.ok
            ? `the log state's root at size ${state.size} is not the root of the events`
            : checked.problem,
        );
        continue;
      }
      this.vouched.set(state.tenant_id, checked.range);
      this.reported.delete(state.tenant_id);
      const time = clock();
      const checkpoint = {
        origin: origin(state.tenant_id),
        size: state.size,
        root: checked.range.root(),
        time,
      };
      const note = signCheckpoint(checkpoint, key);
      const row = { tenant_id: state.tenant_id, size: state.size, root: state.root, created_at: time, note };
      const inserted = await this.insertOnce(row);
      this.signedSize.set(state.tenant_id, state.size);
      if (inserted) entries.push({ origin: checkpoint.origin, size: state.size, note });
    }
    for (const entry of entries) await this.anchor(entry);
  }

  /** True when this node's row landed; false when another node stored that size first. */
  private async insertOnce(row: {
    tenant_id: string;
    size: number;
    root: string;
    created_at: number;
    note: string;
  }): Promise<boolean> {
    const { storage } = this.options;
    if (storage.dialect === 'postgres') {
      const inserted = await storage.db
        .insertInto('audit_checkpoints')
        .values(row)
        .onConflict((oc) => oc.columns(['tenant_id', 'size']).doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
    }
    // SQLite's guard refuses any insert over an existing row, ON CONFLICT DO NOTHING included (the
    // trigger runs before the conflict is resolved), so the existing row is looked for in the statement.
    const result = await sql`
      insert into audit_checkpoints (tenant_id, size, root, created_at, note)
      select ${row.tenant_id}, ${row.size}, ${row.root}, ${row.created_at}, ${row.note}
      where not exists (select 1 from audit_checkpoints where tenant_id = ${row.tenant_id} and size = ${row.size})
    `.execute(storage.db);
    return Number(result.numAffectedRows ?? 0) > 0;
  }

  private refuse(tenantId: string, problem: string): void {
    this.vouched.delete(tenantId);
    if (this.reported.get(tenantId) === problem) return;
    this.reported.set(tenantId, problem);
    this.options.log.error(
      { tenantId, problem },
      `AUDIT TAMPERING: no checkpoint is signed for tenant ${tenantId}: ${problem}`,
    );
  }

  private async anchor(entry: AnchorEntry): Promise<void> {
    try {
      await this.options.anchor.publish(entry);
    } catch (error) {
      const conflicts = error instanceof AggregateError ? error.errors : [error];
      if (conflicts.some((e) => e instanceof AnchorConflictError)) {
        this.options.log.error(
          { err: error, origin: entry.origin, size: entry.size },
          'AUDIT FORK: an anchor already holds a different checkpoint for this size; the log was rewritten or forked',
        );
        return;
      }
      this.options.log.warn(
        { err: error, origin: entry.origin, size: entry.size },
        'checkpoint anchor failed; will retry',
      );
      const waiting = this.unanchored.get(entry.origin);
      if (!waiting || waiting.size < entry.size) this.unanchored.set(entry.origin, entry);
    }
  }
}
