import { findAgent } from '../agents/agent-store.js';
import { notFound } from '../errors.js';
import type { Storage } from '../storage/database.js';
import type { UsageStore } from '../usage/usage-store.js';
import { findBaseline, stateOf } from './baseline-store.js';
import { hourStart } from './ewma.js';
import { ANOMALY_FLOORS, type AnomalyConfig, factorsOf, METRICS, type Metric } from './thresholds.js';

export interface BaselineView {
  readonly agentId: string;
  /** Null until the monitor folded the agent's first completed hour with usage. */
  readonly baseline: {
    readonly callsPerHour: number;
    readonly recordsPerHour: number;
    readonly costUsdPerHour: number;
    readonly samples: number;
    readonly foldedHour: number;
  } | null;
  /** True once the baseline has enough hours for anomalies and the breaker to use it. */
  readonly ready: boolean;
  readonly currentHour: {
    readonly hour: number;
    readonly calls: number;
    readonly records: number;
    readonly costUsd: number;
  };
  readonly thresholds: Readonly<Record<Metric, { readonly factor: number; readonly floor: number }>>;
  readonly breaker: { readonly trippedAt: number; readonly reason: string } | null;
}

/** What an agent's "normal" looks like, and how the running hour compares: for humans to see. */
export class BaselineReader {
  constructor(
    private readonly storage: Storage,
    private readonly usage: UsageStore,
    private readonly config: AnomalyConfig,
    private readonly clock: () => number,
  ) {}

  async read(tenantId: string, agentId: string): Promise<BaselineView> {
    const agent = await findAgent(this.storage.db, tenantId, agentId);
    if (!agent) throw notFound('agent', agentId);
    const row = await findBaseline(this.storage.db, tenantId, agentId);
    const hour = hourStart(this.clock());
    // The minute buckets since the hour began: this agent's running hour, without reading anyone else's.
    const totals = await this.usage.since(tenantId, agentId, hour);
    const state = row ? stateOf(row) : undefined;
    const factors = factorsOf(this.config);
    const thresholds = Object.fromEntries(
      METRICS.map((metric) => [metric, { factor: factors[metric], floor: ANOMALY_FLOORS[metric] }]),
    ) as Record<Metric, { factor: number; floor: number }>;
    return {
      agentId,
      baseline: state
        ? {
            callsPerHour: state.baseline.calls,
            recordsPerHour: state.baseline.records,
            costUsdPerHour: state.baseline.cost,
            samples: state.baseline.samples,
            foldedHour: state.foldedHour,
          }
        : null,
      ready: (state?.baseline.samples ?? 0) >= this.config.anomalyMinSamples,
      currentHour: {
        hour,
        calls: totals.calls,
        records: totals.records,
        costUsd: totals.costUsd,
      },
      thresholds,
      breaker: agent.breaker,
    };
  }
}
