/**
 * Where signed checkpoints are sent so that a later rewrite of the log cannot go unnoticed: each
 * anchor keeps (or forwards to someone who keeps) what the log committed to, outside its own database.
 */
export interface CheckpointAnchor {
  /** Throws when the checkpoint could not be anchored; the caller decides whether to retry or log. */
  publish(entry: AnchorEntry): Promise<void>;
}

export interface AnchorEntry {
  readonly origin: string;
  readonly size: number;
  /** The signed checkpoint note, as produced by `signCheckpoint`. */
  readonly note: string;
}

/** Publishes to every anchor; one failing does not keep the others from receiving the checkpoint. */
export class MultiAnchor implements CheckpointAnchor {
  constructor(private readonly anchors: readonly CheckpointAnchor[]) {}

  async publish(entry: AnchorEntry): Promise<void> {
    const results = await Promise.allSettled(this.anchors.map((anchor) => anchor.publish(entry)));
    const errors = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    if (errors.length > 0)
      throw new AggregateError(
        errors,
        `${errors.length} of ${this.anchors.length} checkpoint anchors failed for ${entry.origin} at size ${entry.size}`,
      );
  }
}
