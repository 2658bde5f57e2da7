import type { FastifyBaseLogger } from 'fastify';

/**
 * The node's resources in the order they were acquired. Each is pushed as soon as it holds
 * something (a connection, a file, a timer), and `unwind` releases them last-first, on close and on
 * a start that fails half-way alike, so a failed start leaves nothing open behind it.
 */
export class Closers {
  private readonly stack: { readonly name: string; readonly close: () => Promise<void> | void }[] = [];

  constructor(private readonly log: FastifyBaseLogger) {}

  push(name: string, close: () => Promise<void> | void): void {
    this.stack.push({ name, close });
  }

  /**
   * Releases everything, newest first. One closer that fails does not keep the others open: its
   * failure is logged, the unwinding goes on, and the first failure is thrown at the end.
   */
  async unwind(): Promise<void> {
    let first: { error: unknown } | undefined;
    for (let entry = this.stack.pop(); entry; entry = this.stack.pop()) {
      try {
        await entry.close();
        this.log.debug({ resource: entry.name }, 'closed');
      } catch (error) {
        this.log.error({ err: error, resource: entry.name }, `closing ${entry.name} failed`);
        first ??= { error };
      }
    }
    if (first) throw first.error;
  }
}
