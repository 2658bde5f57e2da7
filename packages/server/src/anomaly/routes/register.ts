import type { App } from '../../http/app.js';
import type { BaselineReader } from '../baseline-reader.js';
import type { CircuitBreaker } from '../circuit-breaker.js';
import { registerGetBaselines } from './get-baselines.js';
import { registerResetBreaker } from './reset-breaker.js';

export interface AnomalyRouteServices {
  readonly baselines: BaselineReader;
  readonly breaker: CircuitBreaker;
}

/** The anomaly routes: an agent's baselines, and resetting its circuit breaker. */
export function registerAnomalyRoutes(app: App, services: AnomalyRouteServices): void {
  registerGetBaselines(app, services.baselines);
  registerResetBreaker(app, services.breaker);
}
