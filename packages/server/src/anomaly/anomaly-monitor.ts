import type { FastifyBaseLogger } from 'fastify';
import { sendNotifications } from '../agents/agent-notify.js';
import { findAgent } from '../agents/agent-store.js';
import type { AuditLog } from '../audit/audit-log.js';
import { PeriodicWorker } from '../lifecycle/periodic-worker.js';
import type { Notifier } from '../notify/notifier.js';
import type { Storage } from '../storage/database.js';
import type { UsageStore } from '../usage/usage-store.js';
import { watcherNotices, watchersOf } from './anomaly-notices.js';
import {
  type Announced,
  type AnomalyMonitorConfig,
  checkOpenHour,
  foldCompletedHours,
} from './anomaly-sweep.js';
import { hourStart } from './ewma.js';

export interface AnomalyMonitorDeps {
  readonly storage: Storage;
  readonly usage: UsageStore;
  readonly audit: AuditLog;
  readonly notifier: Notifier;
  readonly clock: () => number;
  readonly log: FastifyBaseLogger;
  readonly config: AnomalyMonitorConfig;
}

/**
 * An hour is folded a minute after it ends, so increments committed by transactions that started
 * before the hour ended, and nodes whose clocks lag a little, are in it. Until then it is checked
 * as the open hour.
 */
export const FOLD_GRACE_MS = 60_000;

/**
 * The anomaly monitor, run on every node. Each sweep folds the completed hours into the baselines
 * and checks the open hour; every write is a compare-and-set, so however many nodes sweep, each
 * hour is folded once and each anomaly (agent, hour, metric) is announced once.
 */
export function anomalyMonitor(deps: AnomalyMonitorDeps): PeriodicWorker<void> {
  return new PeriodicWorker({
    name: 'anomaly monitor',
    intervalMs: deps.config.anomalySweepIntervalMs,
    log: deps.log,
    pass: async () => {
      const now = deps.clock();
      const open = hourStart(now - FOLD_GRACE_MS);
      const announced = [
        ...(await foldCompletedHours(deps, open, now)),
        ...(await checkOpenHour(deps, open, now)),
      ];
      await notify(deps, announced, now);
    },
  });
}

/** Tells each agent's owner and security, after the anomalies committed. */
async function notify(deps: AnomalyMonitorDeps, announced: readonly Announced[], now: number): Promise<void> {
  const byAgent = new Map<string, Announced[]>();
  for (const alert of announced) {
    const key = `${alert.tenantId}|${alert.agentId}`;
    byAgent.set(key, [...(byAgent.get(key) ?? []), alert]);
  }
  for (const alerts of byAgent.values()) {
    const first = alerts[0];
    if (!first) continue;
    try {
      const agent = await findAgent(deps.storage.db, first.tenantId, first.agentId);
      if (!agent) continue;
      const watchers = await watchersOf(deps.storage.db, agent);
      for (const { anomaly, hour, complete } of alerts) {
        const hourIso = new Date(hour).toISOString();
        const summary = `Agent ${agent.name}: ${anomaly.metric} ${formatValue(anomaly.metric, anomaly.value)} in the hour from ${hourIso}${complete ? '' : ' (so far)'} exceeds ${anomaly.factor}× its baseline of ${formatValue(anomaly.metric, anomaly.baseline)} per hour`;
        const data = {
          metric: anomaly.metric,
          value: anomaly.value,
          baseline: anomaly.baseline,
          factor: anomaly.factor,
          hour: hourIso,
          complete,
        };
        sendNotifications(
          deps,
          watcherNotices(
            'agent.anomaly',
            agent,
            watchers,
            summary,
            data,
            `agent.anomaly:${agent.id}:${hour}:${anomaly.metric}`,
            now,
          ),
        );
      }
    } catch (error) {
      deps.log.warn({ err: error, agentId: first.agentId }, 'anomaly notification failed');
    }
  }
}

function formatValue(metric: string, value: number): string {
  return metric === 'cost' ? `$${value.toFixed(2)}` : String(Math.round(value * 100) / 100);
}
