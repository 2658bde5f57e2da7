import type { JsonObject } from '@warden/policy';
import { isGuardian } from '../agents/agent-access.js';
import { openEvent } from '../audit/audit-reader.js';
import type { PayloadSealer } from '../audit/sealing/payload-sealer.js';
import type { HumanPrincipal } from '../credentials/principal.js';
import type { Storage } from '../storage/database.js';
import { hasAnyRole } from '../tenants/roles.js';

/** The audit events that announce something unusual about an agent. */
export const ANOMALY_EVENT_TYPES = ['agent.anomaly', 'agent.breaker_trip'] as const;

export interface AnomalyNotice {
  readonly eventId: string;
  readonly agentId: string;
  readonly agentName: string | null;
  /** `anomaly` (a metric far above its baseline) or `breaker_trip`. */
  readonly kind: 'anomaly' | 'breaker_trip';
  /** The metric (calls, records, cost) of an anomaly; null for a breaker trip. */
  readonly metric: string | null;
  /** One line for people: "calls 420 in the hour, 6.1x its baseline of 69". */
  readonly detail: string;
  readonly at: number;
}

/**
 * Recent anomaly notices, read from the audit log where the anomaly monitor and the circuit breaker
 * record them. Security, auditors and admins read every agent's; anyone else the agents they own
 * (the humans such notices are sent to).
 */
export class AnomalyReader {
  constructor(
    private readonly storage: Storage,
    private readonly sealer: PayloadSealer,
  ) {}

  async recent(
    principal: HumanPrincipal,
    filter: { readonly agentId?: string; readonly limit: number },
  ): Promise<AnomalyNotice[]> {
    const { tenantId } = principal;
    const db = this.storage.db;
    const everyAgent = isGuardian(principal) || hasAnyRole(principal.roles, ['auditor']);
    // Anyone else reads the agents they own: those are looked up first, so a human who owns none
    // costs one small query, not a walk through every notice.
    let owned: string[] | undefined;
    if (!everyAgent) {
      const mine = await db
        .selectFrom('agents')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('owner_id', '=', principal.humanId)
        .execute();
      owned = mine.map((a) => a.id);
      if (filter.agentId !== undefined) owned = owned.filter((id) => id === filter.agentId);
      if (owned.length === 0) return [];
    }
    // One walk per type down the (tenant_id, type, seq) index of migration 0012, newest first, then
    // merged: an `in` over both types would make the planner sort or walk the whole log instead.
    const perType = await Promise.all(
      ANOMALY_EVENT_TYPES.map((type) => {
        let query = db
          .selectFrom('audit_events')
          .select(['seq', 'type', 'agent_id', 'created_at', 'body', 'leaf_hash'])
          .where('tenant_id', '=', tenantId)
          .where('type', '=', type);
        if (filter.agentId !== undefined) query = query.where('agent_id', '=', filter.agentId);
        if (owned !== undefined) query = query.where('agent_id', 'in', owned);
        return query.orderBy('seq', 'desc').limit(filter.limit).execute();
      }),
    );
    const rows = perType
      .flat()
      .sort((a, b) => Number(b.seq) - Number(a.seq))
      .slice(0, filter.limit);
    const names = new Map<string, string>();
    const agentIds = [...new Set(rows.map((r) => r.agent_id).filter((id) => id !== null))];
    if (agentIds.length > 0) {
      const agents = await db
        .selectFrom('agents')
        .select(['id', 'name'])
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', agentIds)
        .execute();
      for (const agent of agents) names.set(agent.id, agent.name);
    }
    const notices: AnomalyNotice[] = [];
    for (const row of rows) {
      const event = await openEvent(this.sealer, tenantId, row);
      const payload = event.payload ?? {};
      const kind = row.type === 'agent.anomaly' ? 'anomaly' : 'breaker_trip';
      notices.push({
        eventId: event.id,
        agentId: row.agent_id ?? event.subject.id,
        agentName: names.get(row.agent_id ?? '') ?? null,
        kind,
        metric: kind === 'anomaly' && typeof payload.metric === 'string' ? payload.metric : null,
        detail: kind === 'anomaly' ? anomalyDetail(payload) : breakerDetail(payload),
        at: Number(row.created_at),
      });
    }
    return notices;
  }
}

function anomalyDetail(payload: JsonObject): string {
  const { metric, value, baseline } = payload;
  if (typeof metric !== 'string' || typeof value !== 'number') return 'usage far above its baseline';
  const base = typeof baseline === 'number' ? baseline : 0;
  const times = base > 0 ? `, ${(value / base).toFixed(1)}x its baseline of ${base}` : '';
  return `${metric} ${value} in the hour${times}`;
}

function breakerDetail(payload: JsonObject): string {
  return typeof payload.reason === 'string'
    ? `circuit breaker tripped: ${payload.reason}`
    : 'circuit breaker tripped';
}
