import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import type { Worker } from '../lifecycle/worker.js';
import type { Storage } from '../storage/database.js';
import {
  AnchorConflictError,
  type AnchorEntry,
  type CheckpointAnchor,
  type SigningKey,
  signCheckpoint,
} from './checkpoint/index.js';

export interface CheckpointerOptions {
  readonly storage: Storage;
  readonly key: SigningKey;
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

/**
 * Signs checkpoints of every tenant's log and sends them to the anchors. Every node runs one; a
 * checkpoint is stored once per (tenant, size), and the node whose insert won is the one that
 * anchors it. An anchor that fails is retried on the next round; one that holds a different
 * checkpoint for the same size is evidence of a fork and is logged as such.
 */
export class Checkpointer implements Worker {
  readonly name = 'audit checkpointer';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private readonly signedSize = new Map<string, number>();
  /** Per origin, the newest checkpoint no anchor took yet: it covers every older one. */
  private readonly unanchored = new Map<string, AnchorEntry>();

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

  private async round(): Promise<void> {
    const { storage, key, origin, clock } = this.options;
    const due = await storage.db
      .selectFrom('audit_log_state as s')
      .select(['s.tenant_id', 's.size', 's.root'])
      .where('s.size', '>', (eb) =>
        eb
          .selectFrom('audit_checkpoints as c')
          .select(sql<number>`coalesce(max(c.size), 0)`.as('signed'))
          .whereRef('c.tenant_id', '=', 's.tenant_id'),
      )
      .execute();
    const entries = [...this.unanchored.values()];
    this.unanchored.clear();
    for (const state of due) {
      const time = clock();
      const checkpoint = {
        origin: origin(state.tenant_id),
        size: state.size,
        root: Buffer.from(state.root, 'base64'),
        time,
      };
      const note = signCheckpoint(checkpoint, key);
      const inserted = await storage.db
        .insertInto('audit_checkpoints')
        .values({ tenant_id: state.tenant_id, size: state.size, root: state.root, created_at: time, note })
        .onConflict((oc) => oc.columns(['tenant_id', 'size']).doNothing())
        .executeTakeFirst();
      this.signedSize.set(state.tenant_id, state.size);
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0)
        entries.push({ origin: checkpoint.origin, size: state.size, note });
    }
    for (const entry of entries) await this.anchor(entry);
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
