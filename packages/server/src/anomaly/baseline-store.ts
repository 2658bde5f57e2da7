import type { Kysely } from 'kysely';
import type { Trx } from '../storage/database.js';
import type { AgentBaselinesTable, Database } from '../storage/schema.js';
import type { Baseline } from './ewma.js';
import { METRICS, type Metric } from './thresholds.js';

/** Queries of agent_baselines. Every write is a compare-and-set, so concurrent nodes never double-fold. */

export type BaselineRow = AgentBaselinesTable;

/** The state a sweep computes for one agent: the averages, the last folded hour, what was announced. */
export interface BaselineState {
  readonly baseline: Baseline;
  readonly foldedHour: number;
  readonly alertedHour: number | null;
  readonly alerted: readonly Metric[];
}

export function baselineOf(row: BaselineRow): Baseline {
  return {
    calls: Number(row.calls_ewma),
    records: Number(row.records_ewma),
    cost: Number(row.cost_ewma),
    samples: Number(row.samples),
  };
}

export function stateOf(row: BaselineRow): BaselineState {
  return {
    baseline: baselineOf(row),
    foldedHour: Number(row.folded_hour),
    alertedHour: row.alerted_hour === null ? null : Number(row.alerted_hour),
    alerted: parseAlerted(row.alerted),
  };
}

function parseAlerted(text: string): Metric[] {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? METRICS.filter((metric) => parsed.includes(metric)) : [];
}

export function findBaseline(
  db: Kysely<Database>,
  tenantId: string,
  agentId: string,
): Promise<BaselineRow | undefined> {
  return db
    .selectFrom('agent_baselines')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('agent_id', '=', agentId)
    .executeTakeFirst();
}

/** Baselines whose last folded hour is before `hour`: they have completed hours to fold. */
export function baselinesBehind(db: Kysely<Database>, hour: number): Promise<BaselineRow[]> {
  return db.selectFrom('agent_baselines').selectAll().where('folded_hour', '<', hour).execute();
}

export async function anyBaseline(db: Kysely<Database>): Promise<boolean> {
  const row = await db.selectFrom('agent_baselines').select('agent_id').limit(1).executeTakeFirst();
  return row !== undefined;
}

const CHUNK = 500;

/** The baselines of these agents (ids are unique across tenants; the tenant is checked by the caller). */
export async function baselinesOf(db: Kysely<Database>, agentIds: readonly string[]): Promise<BaselineRow[]> {
  const rows: BaselineRow[] = [];
  for (let i = 0; i < agentIds.length; i += CHUNK) {
    const chunk = agentIds.slice(i, i + CHUNK);
    rows.push(
      ...(await db.selectFrom('agent_baselines').selectAll().where('agent_id', 'in', chunk).execute()),
    );
  }
  return rows;
}

function columnsOf(state: BaselineState, now: number) {
  return {
    calls_ewma: state.baseline.calls,
    records_ewma: state.baseline.records,
    cost_ewma: state.baseline.cost,
    samples: state.baseline.samples,
    folded_hour: state.foldedHour,
    alerted_hour: state.alertedHour,
    alerted: JSON.stringify(state.alerted),
    updated_at: now,
  };
}

/** Writes `next` only if the row is still at `version`; false when another node got there first. */
export async function compareAndSet(
  trx: Trx,
  key: { readonly tenantId: string; readonly agentId: string },
  version: number,
  next: BaselineState,
  now: number,
): Promise<boolean> {
  const result = await trx
    .updateTable('agent_baselines')
    .set({ ...columnsOf(next, now), version: version + 1 })
    .where('tenant_id', '=', key.tenantId)
    .where('agent_id', '=', key.agentId)
    .where('version', '=', version)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Starts tracking an agent; false when another node started it first. */
export async function insertBaseline(
  trx: Trx,
  key: { readonly tenantId: string; readonly agentId: string },
  state: BaselineState,
  now: number,
): Promise<boolean> {
  const result = await trx
    .insertInto('agent_baselines')
    .values({ tenant_id: key.tenantId, agent_id: key.agentId, ...columnsOf(state, now), version: 1 })
    .onConflict((oc) => oc.columns(['tenant_id', 'agent_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}
