import type { Insertable } from 'kysely';
import type { AuditEventInput, AuditLog } from '../audit/audit-log.js';
import { type Storage, type Trx, writeTransaction } from '../storage/database.js';
import type { DecisionsTable, TasksTable } from '../storage/schema.js';
import type { UsageIncrement, UsageStore } from '../usage/usage-store.js';

/** Everything one decision writes; all of it commits together or not at all. */
export interface DecisionWrite {
  readonly decision: Insertable<DecisionsTable>;
  readonly task: TasksTable | null;
  readonly usage: UsageIncrement;
  readonly audit: AuditEventInput;
}

interface Pending {
  readonly write: DecisionWrite;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const MAX_BATCH = 200;

/**
 * Group commit for the decide path. Decisions that arrive while a transaction is committing wait
 * and go into the next one together, so a durable commit (an fsync) is shared by many decisions
 * instead of paid by each. Every caller still learns of its own commit: `record` resolves only once
 * the transaction holding its decision has committed, and rejects if it failed.
 */
export class DecisionRecorder {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly audit: AuditLog,
    private readonly usage: UsageStore,
  ) {}

  record(write: DecisionWrite): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      // Start on the next turn of the event loop, not now: every request that arrived in this turn
      // then joins the same transaction. (With SQLite a transaction runs entirely in microtasks, so
      // starting at once would commit each decision alone.)
      if (!this.flushing)
        this.flushing = new Promise<void>((done) => setImmediate(() => this.drain().then(done)));
    });
  }

  /** Resolves when everything queued so far has been written (or has failed). */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        await writeTransaction(this.storage, (trx) =>
          this.write(
            trx,
            batch.map((p) => p.write),
          ),
        );
        for (const pending of batch) pending.resolve();
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    this.flushing = undefined;
  }

  private async write(trx: Trx, writes: readonly DecisionWrite[]): Promise<void> {
    await trx
      .insertInto('decisions')
      .values(writes.map((w) => w.decision))
      .execute();
    // One row per task: a statement may not upsert the same row twice.
    const tasks = new Map<string, TasksTable>();
    for (const w of writes) if (w.task) tasks.set(`${w.task.tenant_id}|${w.task.id}`, w.task);
    if (tasks.size > 0) {
      await trx
        .insertInto('tasks')
        .values([...tasks.values()])
        .onConflict((oc) =>
          oc
            .columns(['tenant_id', 'id'])
            .doUpdateSet((eb) => ({ last_action_at: eb.ref('excluded.last_action_at') })),
        )
        .execute();
    }
    await this.usage.add(
      trx,
      writes.map((w) => w.usage),
    );
    const byTenant = new Map<string, AuditEventInput[]>();
    for (const w of writes) {
      const tenantId = w.decision.tenant_id;
      const events = byTenant.get(tenantId) ?? [];
      events.push(w.audit);
      byTenant.set(tenantId, events);
    }
    for (const [tenantId, events] of byTenant) await this.audit.append(trx, tenantId, events);
  }
}
