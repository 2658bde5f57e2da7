import { type FileHandle, open } from 'node:fs/promises';

/**
 * Makes SQLite commits durable off the event loop. With synchronous=FULL in WAL mode SQLite
 * fdatasyncs the WAL inside COMMIT, blocking the only thread for the whole disk flush; a commit made
 * with synchronous=NORMAL has written the same WAL frames without that flush, so an fdatasync of
 * the WAL file afterwards (on libuv's thread pool) is the flush FULL would have done. Meanwhile the
 * thread serves other requests and builds the next group commit.
 *
 * Syncs coalesce: a caller whose commit came after the running sync started waits for one more, which
 * covers every commit before it.
 */
export class WalSync {
  private handle: Promise<FileHandle> | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly databaseFile: string) {}

  /** Resolves once every commit made before this call is on disk. */
  sync(): Promise<void> {
    if (!this.running) {
      this.running = this.flush().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => {})
      .then(() => {
        this.queued = undefined;
        return this.sync();
      });
    return this.queued;
  }

  async close(): Promise<void> {
    while (this.running || this.queued) await (this.queued ?? this.running)?.catch(() => {});
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await (await handle).close();
  }

  private async flush(): Promise<void> {
    // The WAL exists from the first commit on and stays until the last connection closes (ours).
    this.handle ??= open(`${this.databaseFile}-wal`, 'r');
    try {
      await (await this.handle).datasync();
    } catch (error) {
      this.handle = undefined;
      throw error;
    }
  }
}
