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
    const everyAgent = isGuardian(principal) || hasAnyRole(principal.roles, ['auditor']);
    let query = this.storage.db
      .selectFrom('audit_events as e')
      .leftJoin('agents as a', (join) =>
        join.onRef('a.tenant_id', '=', 'e.tenant_id').onRef('a.id', '=', 'e.agent_id'),
      )
      .select(['e.seq', 'e.type', 'e.agent_id', 'e.created_at', 'e.body', 'e.leaf_hash', 'a.name'])
      .where('e.tenant_id', '=', tenantId)
      .where('e.type', 'in', [...ANOMALY_EVENT_TYPES]);
    if (filter.agentId !== undefined) query = query.where('e.agent_id', '=', filter.agentId);
    if (!everyAgent) query = query.where('a.owner_id', '=', principal.humanId);
    // The (tenant_id, type, seq) index of migration 0012 answers this newest-first without a scan.
    const rows = await query.orderBy('e.seq', 'desc').limit(filter.limit).execute();
    const notices: AnomalyNotice[] = [];
    for (const row of rows) {
      const event = await openEvent(this.sealer, tenantId, row);
      const payload = event.payload ?? {};
      const kind = row.type === 'agent.anomaly' ? 'anomaly' : 'breaker_trip';
      notices.push({
        eventId: event.id,
        agentId: row.agent_id ?? event.subject.id,
        agentName: row.name ?? null,
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
