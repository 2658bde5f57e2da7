import type { App } from '../../http/app.js';
import type { Storage } from '../../storage/database.js';
import type { UsageStore } from '../../usage/usage-store.js';
import { BaselineReader } from '../baseline-reader.js';
import type { CircuitBreaker } from '../circuit-breaker.js';
import type { AnomalyConfig } from '../thresholds.js';
import { registerGetBaselines } from './get-baselines.js';
import { registerResetBreaker } from './reset-breaker.js';

export interface AnomalyRouteDeps {
  readonly storage: Storage;
  readonly usage: UsageStore;
  readonly breaker: CircuitBreaker;
  readonly config: AnomalyConfig;
  readonly clock: () => number;
}

/** The anomaly routes: an agent's baselines, and resetting its circuit breaker. */
export function registerAnomalyRoutes(app: App, deps: AnomalyRouteDeps): void {
  registerGetBaselines(app, new BaselineReader(deps.storage, deps.usage, deps.config, deps.clock));
  registerResetBreaker(app, deps.breaker);
}
