import { sql } from 'kysely';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditLog } from '../audit/audit-log.js';
import type { Storage } from '../storage/database.js';

/** How long the gauges read from the database are reused: scrapes at any rate cost one read per period. */
export const STATE_CACHE_MS = 5_000;

/** What the decide path, the gateway and the proxy count; every label has a bounded set of values. */
export class NodeMetrics {
  /** This node's registry (never prom-client's global one: several nodes may share a process). */
  readonly registry = new Registry();

  readonly decisions = new Counter({
    name: 'warden_decisions_total',
    help: 'Decisions recorded by this node, by interface, effect and code.',
    labelNames: ['source', 'effect', 'code'] as const,
    registers: [this.registry],
  });

  readonly decideDuration = new Histogram({
    name: 'warden_decide_duration_seconds',
    help: 'Time from a call reaching the decide path to its decision committed and answered.',
    labelNames: ['source'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'warden_rate_limited_total',
    help: 'Calls denied by a rate limit (code rate_limited), by interface.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly approvalWait = new Histogram({
    name: 'warden_approval_wait_seconds',
    help: 'How long approval requests waited before a human (or their deadline) decided them.',
    labelNames: ['status'] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600, 14_400, 86_400, 604_800],
    registers: [this.registry],
  });

  readonly auditAppend = new Histogram({
    name: 'warden_audit_append_duration_seconds',
    help: 'Time to append a batch of events to a tenant audit log (inside its transaction).',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [this.registry],
  });

  readonly auditEvents = new Counter({
    name: 'warden_audit_events_total',
    help: 'Audit events appended by this node.',
    registers: [this.registry],
  });

  readonly mcpCalls = new Counter({
    name: 'warden_mcp_requests_total',
    help: 'Governed MCP gateway requests (tools/call, resources/read, prompts/get), by method and verdict.',
    labelNames: ['method', 'verdict'] as const,
    registers: [this.registry],
  });

  readonly mcpOverhead = new Histogram({
    name: 'warden_mcp_overhead_seconds',
    help: 'Time the MCP gateway spent on an allowed call before forwarding it (decide included, any hold for a human excluded).',
    labelNames: ['method'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  readonly llmCalls = new Counter({
    name: 'warden_llm_requests_total',
    help: 'Model calls through the LLM proxy, by API, provider and HTTP status answered.',
    labelNames: ['api', 'provider', 'status'] as const,
    registers: [this.registry],
  });

  readonly llmOverhead = new Histogram({
    name: 'warden_llm_overhead_seconds',
    help: 'Time the LLM proxy spent on a model call before sending it to the provider (decide included).',
    labelNames: ['api', 'provider'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  private readonly state: NodeState;

  constructor(storage: Storage, clock: () => number = Date.now) {
    collectDefaultMetrics({ register: this.registry });
    this.state = new NodeState(storage, clock);
    const state = this.state;
    new Gauge({
      name: 'warden_approvals_pending',
      help: 'Approval requests waiting for a human, by tenant.',
      labelNames: ['tenant'] as const,
      registers: [this.registry],
      async collect() {
        const read = await state.read();
        this.reset();
        for (const row of read.approvals) this.set({ tenant: row.tenant }, row.pending);
      },
    });
    new Gauge({
      name: 'warden_budget_spent',
      help: 'Spent in the current window of every budget, by tenant, budget scope and unit (usd in dollars).',
      labelNames: ['tenant', 'scope', 'unit'] as const,
      registers: [this.registry],
      async collect() {
        const read = await state.read();
        this.reset();
        for (const row of read.budgets)
          this.set({ tenant: row.tenant, scope: row.scope, unit: row.unit }, row.spent);
      },
    });
    new Gauge({
      name: 'warden_budget_reserved',
      help: 'Held by reservations not settled yet in the current window of every budget, by tenant, scope and unit.',
      labelNames: ['tenant', 'scope', 'unit'] as const,
      registers: [this.registry],
      async collect() {
        const read = await state.read();
        this.reset();
        for (const row of read.budgets) {
          this.set({ tenant: row.tenant, scope: row.scope, unit: row.unit }, row.reserved);
        }
      },
    });
    new Gauge({
      name: 'warden_reservations_held',
      help: 'Budget reservations held for calls whose outcome has not settled them yet, by tenant.',
      labelNames: ['tenant'] as const,
      registers: [this.registry],
      async collect() {
        const read = await state.read();
        this.reset();
        for (const row of read.reservations) this.set({ tenant: row.tenant }, row.held);
      },
    });
    new Gauge({
      name: 'warden_audit_log_size',
      help: 'Events in each tenant audit log (the Merkle tree size).',
      labelNames: ['tenant'] as const,
      registers: [this.registry],
      async collect() {
        const read = await state.read();
        this.reset();
        for (const row of read.auditLogs) this.set({ tenant: row.tenant }, row.size);
      },
    });
  }

  /** The audit port, timing every append. */
  timedAudit(audit: AuditLog): AuditLog {
    const { auditAppend, auditEvents } = this;
    return {
      async append(trx, tenantId, events) {
        const end = auditAppend.startTimer();
        try {
          return await audit.append(trx, tenantId, events);
        } finally {
          end();
          auditEvents.inc(events.length);
        }
      },
    };
  }

  /** The Prometheus text exposition of everything above. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

interface StateRead {
  readonly approvals: readonly { tenant: string; pending: number }[];
  readonly budgets: readonly {
    tenant: string;
    scope: string;
    unit: string;
    spent: number;
    reserved: number;
  }[];
  readonly reservations: readonly { tenant: string; held: number }[];
  readonly auditLogs: readonly { tenant: string; size: number }[];
}

/**
 * The gauges' rows from the database: four grouped queries, read at most once per STATE_CACHE_MS
 * however many scrapes (and however many gauges of one scrape) ask, one read at a time.
 */
class NodeState {
  private last: { at: number; read: Promise<StateRead> } | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly clock: () => number,
  ) {}

  read(): Promise<StateRead> {
    const now = this.clock();
    if (this.last && now - this.last.at < STATE_CACHE_MS) return this.last.read;
    const read = this.query();
    this.last = { at: now, read };
    // A failed read is not kept: the next scrape tries again.
    read.catch(() => {
      if (this.last?.read === read) this.last = undefined;
    });
    return read;
  }

  private async query(): Promise<StateRead> {
    const { db } = this.storage;
    const [approvals, budgets, reservations, auditLogs] = await Promise.all([
      db
        .selectFrom('approval_requests as a')
        .innerJoin('tenants as t', 't.id', 'a.tenant_id')
        .select(['t.slug as tenant', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('a.status', '=', 'pending')
        .groupBy('t.slug')
        .execute(),
      // Each budget's current window is its counters' latest window_start (0 for task budgets).
      db
        .selectFrom('budget_counters as c')
        .innerJoin('budgets as b', (join) =>
          join.onRef('b.tenant_id', '=', 'c.tenant_id').onRef('b.id', '=', 'c.budget_id'),
        )
        .innerJoin('tenants as t', 't.id', 'c.tenant_id')
        .select([
          't.slug as tenant',
          'b.scope',
          'b.unit',
          sql<number | string>`sum(c.spent)`.as('spent'),
          sql<number | string>`sum(c.reserved)`.as('reserved'),
        ])
        .where(
          'c.window_start',
          '=',
          sql<number>`(select max(w.window_start) from budget_counters w where w.tenant_id = c.tenant_id and w.budget_id = c.budget_id)`,
        )
        .groupBy(['t.slug', 'b.scope', 'b.unit'])
        .execute(),
      db
        .selectFrom('budget_reservations as r')
        .innerJoin('tenants as t', 't.id', 'r.tenant_id')
        .select(['t.slug as tenant', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('r.status', '=', 'held')
        .groupBy('t.slug')
        .execute(),
      db
        .selectFrom('audit_events as e')
        .innerJoin('tenants as t', 't.id', 'e.tenant_id')
        .select(['t.slug as tenant', sql<number | string>`max(e.seq) + 1`.as('size')])
        .groupBy('t.slug')
        .execute(),
    ]);
    // usd is kept in micro-dollars.
    const inUnit = (unit: string, amount: number | string) =>
      unit === 'usd' ? Number(amount) / 1e6 : Number(amount);
    return {
      approvals: approvals.map((r) => ({ tenant: r.tenant, pending: Number(r.n) })),
      budgets: budgets.map((r) => ({
        tenant: r.tenant,
        scope: r.scope,
        unit: r.unit,
        spent: inUnit(r.unit, r.spent),
        reserved: inUnit(r.unit, r.reserved),
      })),
      reservations: reservations.map((r) => ({ tenant: r.tenant, held: Number(r.n) })),
      auditLogs: auditLogs.map((r) => ({ tenant: r.tenant, size: Number(r.size) })),
    };
  }
}
