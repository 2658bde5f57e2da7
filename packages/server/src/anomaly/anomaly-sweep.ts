import type { FastifyBaseLogger } from 'fastify';
import type { AuditEventInput, AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/config.js';
import { type Storage, writeTransaction } from '../storage/database.js';
import type { UsageStore } from '../usage/usage-store.js';
import { advance, type HourAlert, unannounced } from './advance.js';
import {
  anyBaseline,
  type BaselineRow,
  type BaselineState,
  baselinesBehind,
  baselinesOf,
  compareAndSet,
  insertBaseline,
  stateOf,
} from './baseline-store.js';
import { HOUR_MS, type HourValues } from './ewma.js';
import { anomaliesOf, factorsOf } from './thresholds.js';

export type AnomalyMonitorConfig = Pick<
  Config,
  | 'anomalyEwmaAlpha'
  | 'anomalyCallsFactor'
  | 'anomalyRecordsFactor'
  | 'anomalyCostFactor'
  | 'anomalyMinSamples'
  | 'anomalySweepIntervalMs'
>;

export interface SweepDeps {
  readonly storage: Storage;
  readonly usage: UsageStore;
  readonly audit: AuditLog;
  readonly log: FastifyBaseLogger;
  readonly config: AnomalyMonitorConfig;
}

/** An anomaly announced by this sweep, for the notifications sent after its commit. */
export interface Announced extends HourAlert {
  readonly tenantId: string;
  readonly agentId: string;
  /** False while the hour is still running: the value so far already exceeds the whole-hour threshold. */
  readonly complete: boolean;
}

/** When nobody is tracked yet (a fresh install, an upgrade), the first sweep learns from a week. */
export const FIRST_LOOKBACK_MS = 7 * 24 * HOUR_MS;

const ACTOR = { type: 'system', id: 'anomaly-monitor' } as const;

interface AgentKey {
  readonly tenantId: string;
  readonly agentId: string;
}

const keyOf = (tenantId: string, agentId: string) => `${tenantId}|${agentId}`;

function optionsOf(config: AnomalyMonitorConfig) {
  return { alpha: config.anomalyEwmaAlpha, factors: factorsOf(config), minSamples: config.anomalyMinSamples };
}

/**
 * Folds every completed hour before `open` into the baselines, and announces the anomalies of
 * those hours. Agents already tracked fold their quiet hours as zero; an agent seen for the first
 * time starts at its first hour with usage.
 */
export async function foldCompletedHours(deps: SweepDeps, open: number, now: number): Promise<Announced[]> {
  const through = open - HOUR_MS;
  const behind = await baselinesBehind(deps.storage.db, through);
  let from: number | undefined;
  if (behind.length > 0) {
    from = behind.reduce((min, row) => Math.min(min, Number(row.folded_hour)), through) + HOUR_MS;
  } else if (!(await anyBaseline(deps.storage.db))) {
    from = open - FIRST_LOOKBACK_MS;
  }
  if (from === undefined) return [];

  const usage = new Map<string, AgentKey & { hours: Map<number, HourValues> }>();
  for (const row of await deps.usage.hours(from, open)) {
    const key = keyOf(row.tenantId, row.agentId);
    const entry = usage.get(key) ?? { tenantId: row.tenantId, agentId: row.agentId, hours: new Map() };
    entry.hours.set(row.hour, row.totals);
    usage.set(key, entry);
  }
  const tracked = new Map(behind.map((row) => [keyOf(row.tenant_id, row.agent_id), row]));
  const unseen = [...usage.values()].filter((entry) => !tracked.has(keyOf(entry.tenantId, entry.agentId)));
  // Agents with usage but not behind may be tracked and already folded (by another node): skip them.
  const current = new Set(
    (await baselinesOf(deps.storage.db, [...new Set(unseen.map((entry) => entry.agentId))])).map((row) =>
      keyOf(row.tenant_id, row.agent_id),
    ),
  );

  const announced: Announced[] = [];
  const work: { key: AgentKey; row: BaselineRow | undefined; hours: Map<number, HourValues> }[] = [
    ...behind.map((row) => ({
      key: { tenantId: row.tenant_id, agentId: row.agent_id },
      row,
      hours: usage.get(keyOf(row.tenant_id, row.agent_id))?.hours ?? new Map<number, HourValues>(),
    })),
    ...unseen
      .filter((entry) => !current.has(keyOf(entry.tenantId, entry.agentId)))
      .map((entry) => ({
        key: { tenantId: entry.tenantId, agentId: entry.agentId },
        row: undefined,
        hours: entry.hours,
      })),
  ];
  for (const item of work) {
    try {
      const advanced = advance(
        item.row ? stateOf(item.row) : null,
        item.hours,
        through,
        optionsOf(deps.config),
      );
      if (!advanced) continue;
      const alerts = advanced.alerts.map((alert) => ({ ...alert, ...item.key, complete: true }));
      if (await save(deps, item.key, item.row?.version, advanced.next, alerts, now))
        announced.push(...alerts);
    } catch (error) {
      deps.log.error(
        { err: error, agentId: item.key.agentId },
        'baseline fold failed; retrying on the next sweep',
      );
    }
  }
  return announced;
}

/**
 * Checks the open hour (still running, or just ended and not yet folded) against the baselines,
 * which do not contain it yet.
 */
export async function checkOpenHour(deps: SweepDeps, open: number, now: number): Promise<Announced[]> {
  const usage = await deps.usage.hours(open, open + HOUR_MS);
  if (usage.length === 0) return [];
  const rows = new Map(
    (
      await baselinesOf(
        deps.storage.db,
        usage.map((row) => row.agentId),
      )
    ).map((row) => [keyOf(row.tenant_id, row.agent_id), row]),
  );
  const options = optionsOf(deps.config);
  const announced: Announced[] = [];
  for (const entry of usage) {
    const row = rows.get(keyOf(entry.tenantId, entry.agentId));
    if (!row) continue;
    const state = stateOf(row);
    // A slower node's sweep may run after another folded this hour in: the hour is then in its own baseline.
    if (state.foldedHour >= open) continue;
    const found = anomaliesOf(entry.totals, state.baseline, options.factors, options.minSamples);
    const checked = unannounced(state, open, found);
    if (checked.fresh.length === 0) continue;
    const key = { tenantId: entry.tenantId, agentId: entry.agentId };
    const alerts = checked.fresh.map((anomaly) => ({
      hour: open,
      anomaly,
      ...key,
      complete: now >= open + HOUR_MS,
    }));
    try {
      const next = { ...state, alertedHour: checked.alertedHour, alerted: checked.alerted };
      if (await save(deps, key, row.version, next, alerts, now)) announced.push(...alerts);
    } catch (error) {
      deps.log.error(
        { err: error, agentId: entry.agentId },
        'anomaly check failed; retrying on the next sweep',
      );
    }
  }
  return announced;
}

/**
 * Writes the new state by compare-and-set and appends its anomaly events in the same transaction:
 * when two nodes compute the same hour, one write wins and only its events exist.
 */
async function save(
  deps: SweepDeps,
  key: AgentKey,
  version: number | undefined,
  next: BaselineState,
  alerts: readonly Announced[],
  now: number,
): Promise<boolean> {
  return writeTransaction(deps.storage, async (trx) => {
    const written =
      version === undefined
        ? await insertBaseline(trx, key, next, now)
        : await compareAndSet(trx, key, version, next, now);
    if (!written) return false;
    if (alerts.length > 0)
      await deps.audit.append(
        trx,
        key.tenantId,
        alerts.map((a) => anomalyEvent(a, now)),
      );
    return true;
  });
}

const round = (value: number) => Math.round(value * 1e6) / 1e6;

function anomalyEvent(alert: Announced, now: number): AuditEventInput {
  const { anomaly } = alert;
  return {
    type: 'agent.anomaly',
    actor: ACTOR,
    subject: { type: 'agent', id: alert.agentId },
    payload: {
      metric: anomaly.metric,
      value: round(anomaly.value),
      baseline: round(anomaly.baseline),
      factor: anomaly.factor,
      floor: anomaly.floor,
      hour: new Date(alert.hour).toISOString(),
      complete: alert.complete,
    },
    at: now,
  };
}
