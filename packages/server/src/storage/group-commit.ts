import { deferredSyncTransaction, type Storage, type Trx } from './database.js';

interface Pending<T, R> {
  readonly item: T;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: items submitted while a transaction is committing wait and go into the next one
 * together, so one durable commit (an fsync) is shared by many writers instead of paid by each.
 * Every caller still learns of its own commit: `submit` resolves (with what `write` returned for its
 * item) only once the transaction holding its item has committed and is on disk, and rejects if
 * either failed. The next transaction does not wait for the previous one's disk flush (where the
 * database lets the flush run off the event loop): it is built while the disk works.
 */
export class GroupCommit<T, R = void> {
  private queue: Pending<T, R>[] = [];
  private flushing: Promise<void> | undefined;
  /** Committed batches whose disk flush is still running. */
  private readonly syncing = new Set<Promise<void>>();

  constructor(
    private readonly storage: Storage,
    private readonly write: (trx: Trx, items: readonly T[]) => Promise<readonly R[]>,
    private readonly maxBatch = 200,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      // Start on the next turn of the event loop, not now: every request that arrived in this turn
      // then joins the same transaction. (With SQLite a transaction runs entirely in microtasks, so
      // starting at once would commit each item alone.)
      if (!this.flushing)
        this.flushing = new Promise<void>((done) => setImmediate(() => this.drain().then(done)));
    });
  }

  /** Resolves when everything submitted so far has been written (or has failed). */
  async idle(): Promise<void> {
    while (this.flushing || this.syncing.size > 0) {
      if (this.flushing) await this.flushing;
      else await Promise.all(this.syncing);
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const { result: results, durable } = await deferredSyncTransaction(this.storage, (trx) =>
          this.write(
            trx,
            batch.map((p) => p.item),
          ),
        );
        const synced = durable.then(
          () => {
            for (const [i, pending] of batch.entries()) pending.resolve(results[i] as R);
          },
          (error: unknown) => {
            for (const pending of batch) pending.reject(error);
          },
        );
        this.syncing.add(synced);
        void synced.finally(() => this.syncing.delete(synced));
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    this.flushing = undefined;
  }
}
