import type { FastifyBaseLogger } from 'fastify';
import type { Worker } from './worker.js';

export interface PeriodicWorkerOptions<T> {
  readonly name: string;
  readonly intervalMs: number;
  /** One pass of the job; `stopping` turns true once stop was called, for passes that loop. */
  readonly pass: (stopping: () => boolean) => Promise<T>;
  readonly log: FastifyBaseLogger;
  /** Runs a pass as soon as the worker starts, not only after the first interval. */
  readonly runAtStart?: boolean;
  /** Runs one last pass on stop (a buffer that must reach storage before it closes). */
  readonly runOnStop?: boolean;
}

/**
 * A job on a timer. Passes never overlap: a tick while one runs is skipped, and `run` (for callers
 * who need a pass now) waits for the running one and then runs its own. A pass that fails on the
 * timer is logged at warn with the worker's name and retried on the next tick; one asked for by
 * `run` rejects to its caller.
 */
export class PeriodicWorker<T = unknown> implements Worker {
  readonly name: string;
  private timer: NodeJS.Timeout | undefined;
  private first: NodeJS.Timeout | undefined;
  private running: Promise<T> | undefined;
  private stopping = false;

  constructor(private readonly options: PeriodicWorkerOptions<T>) {
    this.name = options.name;
  }

  start(): void {
    if (this.timer) return;
    this.stopping = false;
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref();
    if (this.options.runAtStart) {
      this.first = setTimeout(() => this.tick(), 0);
      this.first.unref();
    }
  }

  /** A pass now, after the one under way (if any). */
  async run(): Promise<T> {
    while (this.running) await this.running.catch(() => undefined);
    return this.begin();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    clearTimeout(this.first);
    this.timer = undefined;
    // A failed pass was already reported (logged by the tick, or rejected to `run`'s caller).
    while (this.running) await this.running.catch(() => undefined);
    if (this.options.runOnStop) await this.begin().catch((error: unknown) => this.failed(error));
  }

  private tick(): void {
    if (this.running) return;
    this.begin().catch((error: unknown) => this.failed(error));
  }

  private begin(): Promise<T> {
    const pass = this.options
      .pass(() => this.stopping)
      .finally(() => {
        if (this.running === pass) this.running = undefined;
      });
    this.running = pass;
    return pass;
  }

  private failed(error: unknown): void {
    this.options.log.warn({ err: error, worker: this.name }, `${this.name}: pass failed`);
  }
}
