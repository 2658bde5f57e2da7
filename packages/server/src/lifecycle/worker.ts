/**
 * A background job of the node. The composition root starts every worker once the node's startup
 * succeeded, and stops them in reverse order on close; `stop` resolves when the job's last pass has
 * finished, so nothing it does outlives the storage it writes to.
 */
export interface Worker {
  /** Names the job in logs (`stop failed`, `pass failed`). */
  readonly name: string;
  start(): void;
  stop(): Promise<void>;
}
