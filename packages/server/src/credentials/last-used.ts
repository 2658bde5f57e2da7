import type { Storage } from '../storage/database.js';

type Table = 'agent_keys' | 'human_tokens' | 'agents' | 'console_sessions';

/**
 * Last-used times, written in the background: a write per request would double the decide path's
 * I/O, and a minute of precision is what an inventory needs. The node flushes it on a timer and on
 * close (a PeriodicWorker in services.ts).
 */
export class LastUsedTracker {
  private pending = new Map<string, { table: Table; id: string; at: number }>();
  private readonly written = new Map<string, number>();

  constructor(
    private readonly storage: Storage,
    private readonly precisionMs = 60_000,
  ) {}

  touch(table: Table, id: string, at: number): void {
    const key = `${table}:${id}`;
    const last = this.written.get(key);
    if (last !== undefined && at - last < this.precisionMs) return;
    this.pending.set(key, { table, id, at });
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    for (const { table, id, at } of batch) {
      const column = table === 'agents' ? 'last_active_at' : 'last_used_at';
      await this.storage.db
        .updateTable(table)
        .set({ [column]: at })
        .where('id', '=', id)
        .execute();
      this.written.set(`${table}:${id}`, at);
    }
    if (this.written.size > 100_000) this.written.clear();
  }
}
