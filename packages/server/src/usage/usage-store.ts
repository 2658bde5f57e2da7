import type { UsageFacts } from '@warden/policy';
import { allColumns, compiledInsert, compiledQuery } from '../storage/compiled-query.js';
import type { Storage, Trx } from '../storage/database.js';
import type { AgentUsageTable } from '../storage/schema.js';

export type UsageSpan = 'minute' | 'hour' | 'day';

export interface UsageTotals {
  readonly calls: number;
  readonly costUsd: number;
  readonly records: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface UsageIncrement {
  readonly tenantId: string;
  readonly agentId: string;
  readonly at: number;
  readonly calls?: number;
  readonly costUsd?: number;
  readonly tokens?: number;
  readonly records?: number;
}

/** The minute buckets of the last hour and the day buckets since `since`: what `usage.*` reads. */
const readBuckets = compiledQuery((db, param) =>
  db
    .selectFrom('agent_usage')
    .select(['span', 'window_start', 'calls', 'cost_usd', 'records'])
    .where('tenant_id', '=', param('tenantId'))
    .where('agent_id', '=', param('agentId'))
    .where((eb) =>
      eb.or([
        eb.and([eb('span', '=', 'minute'), eb('window_start', '>', param('hourAgo'))]),
        eb.and([eb('span', '=', 'day'), eb('window_start', '>=', param('since'))]),
      ]),
    ),
);

const addToBuckets = compiledInsert<AgentUsageTable>(
  allColumns<AgentUsageTable>()([
    'tenant_id',
    'agent_id',
    'span',
    'window_start',
    'calls',
    'cost_usd',
    'tokens',
    'records',
  ]),
  (db, rows) =>
    db
      .insertInto('agent_usage')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'agent_id', 'span', 'window_start']).doUpdateSet((eb) => ({
          calls: eb('agent_usage.calls', '+', eb.ref('excluded.calls')),
          cost_usd: eb('agent_usage.cost_usd', '+', eb.ref('excluded.cost_usd')),
          tokens: eb('agent_usage.tokens', '+', eb.ref('excluded.tokens')),
          records: eb('agent_usage.records', '+', eb.ref('excluded.records')),
        })),
      ),
);

/**
 * The per-agent counters policies read as `usage.*`, and the history anomaly baselines and the
 * circuit breaker read. Every increment goes into a minute bucket (a true sliding `calls_last_hour`,
 * short spend rates), an hour bucket (baselines) and a day bucket (UTC daily sums).
 * Writes happen inside the decision's or outcome's transaction, so the counters match the audit.
 */
export class UsageStore {
  constructor(private readonly storage: Storage) {}

  async read(tenantId: string, agentId: string, now: number): Promise<UsageFacts> {
    const today = startOfDay(now);
    const month = startOfMonth(now);
    const { rows } = await readBuckets(this.storage.db, this.storage.dialect, {
      tenantId,
      agentId,
      hourAgo: now - HOUR,
      since: Math.min(month, today),
    });
    let callsLastHour = 0;
    let callsToday = 0;
    let costToday = 0;
    let costMonth = 0;
    let recordsToday = 0;
    for (const row of rows) {
      if (row.span === 'minute') {
        callsLastHour += Number(row.calls);
        continue;
      }
      if (row.window_start >= month) costMonth += Number(row.cost_usd);
      if (row.window_start === today) {
        callsToday += Number(row.calls);
        costToday += Number(row.cost_usd);
        recordsToday += Number(row.records);
      }
    }
    return {
      calls_last_hour: callsLastHour,
      calls_today: callsToday,
      cost_today_usd: roundCents(costToday),
      cost_month_usd: roundCents(costMonth),
      records_today: recordsToday,
    };
  }

  /** Adds increments (summed per bucket first, so a batch is one upsert per bucket). */
  async add(trx: Trx, increments: readonly UsageIncrement[]): Promise<void> {
    const buckets = new Map<
      string,
      {
        tenantId: string;
        agentId: string;
        span: UsageSpan;
        start: number;
        calls: number;
        cost: number;
        tokens: number;
        records: number;
      }
    >();
    const bump = (inc: UsageIncrement, span: UsageSpan, start: number) => {
      const key = `${inc.tenantId}|${inc.agentId}|${span}|${start}`;
      const bucket = buckets.get(key) ?? {
        tenantId: inc.tenantId,
        agentId: inc.agentId,
        span,
        start,
        calls: 0,
        cost: 0,
        tokens: 0,
        records: 0,
      };
      bucket.calls += inc.calls ?? 0;
      bucket.cost += inc.costUsd ?? 0;
      bucket.tokens += inc.tokens ?? 0;
      bucket.records += inc.records ?? 0;
      buckets.set(key, bucket);
    };
    for (const inc of increments) {
      bump(inc, 'minute', inc.at - (inc.at % MINUTE));
      bump(inc, 'hour', inc.at - (inc.at % HOUR));
      bump(inc, 'day', startOfDay(inc.at));
    }
    const rows = [...buckets.values()]
      .filter((b) => b.calls !== 0 || b.cost !== 0 || b.tokens !== 0 || b.records !== 0)
      .map((b) => ({
        tenant_id: b.tenantId,
        agent_id: b.agentId,
        span: b.span,
        window_start: b.start,
        calls: b.calls,
        cost_usd: b.cost,
        tokens: b.tokens,
        records: b.records,
      }));
    // Few statements for the whole batch; each bucket appears once, as a multi-row upsert requires.
    await addToBuckets(trx, this.storage.dialect, rows);
  }

  /** Spend, calls and records of one agent since `since` (minute resolution): short-window rates. */
  async since(tenantId: string, agentId: string, since: number): Promise<UsageTotals> {
    const row = await this.storage.db
      .selectFrom('agent_usage')
      .select((eb) => [
        eb.fn.coalesce(eb.fn.sum<number>('calls'), eb.lit(0)).as('calls'),
        eb.fn.coalesce(eb.fn.sum<number>('cost_usd'), eb.lit(0)).as('cost'),
        eb.fn.coalesce(eb.fn.sum<number>('records'), eb.lit(0)).as('records'),
      ])
      .where('tenant_id', '=', tenantId)
      .where('agent_id', '=', agentId)
      .where('span', '=', 'minute')
      .where('window_start', '>=', since - (since % MINUTE))
      .executeTakeFirst();
    return {
      calls: Number(row?.calls ?? 0),
      costUsd: Number(row?.cost ?? 0),
      records: Number(row?.records ?? 0),
    };
  }

  /** Hour buckets from `from` (inclusive) to `to` (exclusive), per agent: the anomaly monitor's input. */
  async hours(
    from: number,
    to: number,
  ): Promise<{ tenantId: string; agentId: string; hour: number; totals: UsageTotals }[]> {
    const rows = await this.storage.db
      .selectFrom('agent_usage')
      .select(['tenant_id', 'agent_id', 'window_start', 'calls', 'cost_usd', 'records'])
      .where('span', '=', 'hour')
      .where('window_start', '>=', from)
      .where('window_start', '<', to)
      .execute();
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      agentId: r.agent_id,
      hour: r.window_start,
      totals: { calls: Number(r.calls), costUsd: Number(r.cost_usd), records: Number(r.records) },
    }));
  }

  /** Minute buckets feed windows up to an hour and hour buckets the baselines; older ones go. */
  async prune(now: number): Promise<void> {
    await this.storage.db
      .deleteFrom('agent_usage')
      .where('span', '=', 'minute')
      .where('window_start', '<', now - 2 * HOUR)
      .execute();
    await this.storage.db
      .deleteFrom('agent_usage')
      .where('span', '=', 'hour')
      .where('window_start', '<', now - 8 * DAY)
      .execute();
  }
}

function startOfDay(ms: number): number {
  return ms - (ms % DAY);
}

function startOfMonth(ms: number): number {
  const date = new Date(ms);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

function roundCents(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
