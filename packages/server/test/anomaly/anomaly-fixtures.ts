import { anomalyMonitor } from '../../src/anomaly/anomaly-monitor.js';
import { CircuitBreaker } from '../../src/anomaly/circuit-breaker.js';
import { HOUR_MS, type HourValues, hourStart } from '../../src/anomaly/ewma.js';
import type { WardenNode } from '../../src/main.js';
import type { Notifier } from '../../src/notify/notifier.js';
import { writeTransaction } from '../../src/storage/database.js';
import { UsageStore } from '../../src/usage/usage-store.js';
import { auditEventsOf } from '../helpers/api.js';

/** A clock the test sets: anomaly tests live on hour boundaries. Starts at the current hour + 5 min. */
export class HourClock {
  current = hourStart(Date.now()) + 5 * 60_000;
  readonly now = (): number => this.current;
  set(ms: number): void {
    this.current = ms;
  }
  /** The start of the hour `hours` away from the current one. */
  hour(hours: number): number {
    return hourStart(this.current) + hours * HOUR_MS;
  }
}

/** Usage written straight into the counters, as decisions and outcomes do. */
export async function addUsage(
  node: WardenNode,
  agent: { readonly id: string; readonly tenantId: string },
  at: number,
  values: Partial<HourValues>,
): Promise<void> {
  const usage = new UsageStore(node.storage);
  await writeTransaction(node.storage, (trx) =>
    usage.add(trx, [
      {
        tenantId: agent.tenantId,
        agentId: agent.id,
        at,
        calls: values.calls ?? 0,
        records: values.records ?? 0,
        costUsd: values.costUsd ?? 0,
      },
    ]),
  );
}

/** The monitor on a node's storage and audit log, not started: the test drives every sweep (run). */
export function monitorOn(node: WardenNode, clock: () => number, notifier: Notifier) {
  return anomalyMonitor({
    storage: node.storage,
    usage: new UsageStore(node.storage),
    audit: node.audit,
    notifier,
    clock,
    log: node.app.log,
    config: node.config,
  });
}

/** A breaker on a node, with the anomaly routes registered (before the node's first request). */
export function breakerOn(node: WardenNode, clock: () => number, notifier: Notifier): CircuitBreaker {
  const usage = new UsageStore(node.storage);
  const breaker = new CircuitBreaker({
    storage: node.storage,
    usage,
    audit: node.audit,
    signals: node.signals,
    notifier,
    clock,
    log: node.app.log,
    config: node.config,
  });
  return breaker;
}

export async function baselineRow(node: WardenNode, agentId: string) {
  return node.storage.db
    .selectFrom('agent_baselines')
    .selectAll()
    .where('agent_id', '=', agentId)
    .executeTakeFirst();
}

/** The payloads of the agent's events of one type, in log order. */
export async function eventsOf(node: WardenNode, agentId: string, type: string) {
  return (await auditEventsOf(node, agentId)).filter((event) => event.type === type);
}
