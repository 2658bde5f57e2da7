import type { JsonObject } from '@warden/policy';
import type { AuditActor, AuditEventInput } from '../audit/audit-log.js';
import { newId } from '../ids.js';
import type { Trx } from '../storage/database.js';

export const INCIDENT_SEVERITIES = ['critical', 'major', 'minor'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

/**
 * The kinds Warden records on its own that are critical: each also demotes the agent's trust tier
 * (`trust/`), and a critical incident in the tier blocks a promotion. A missed review is Warden's
 * humans' failure, not the agent's, so it is major.
 */
const CRITICAL_KINDS: ReadonlySet<string> = new Set([
  'circuit_breaker',
  'budget_exceeded',
  'budget_overrun',
  'review_rejected',
  'sample_rejected',
]);

export function severityOf(kind: string): IncidentSeverity {
  return CRITICAL_KINDS.has(kind) ? 'critical' : 'major';
}

export interface IncidentInput {
  readonly tenantId: string;
  /** review_rejected, review_missed, sample_rejected, budget_exceeded, circuit_breaker, ... */
  readonly kind: string;
  /** Defaults to the kind's (`severityOf`). */
  readonly severity?: IncidentSeverity;
  readonly agentId: string;
  readonly approvalId?: string | null;
  readonly decisionId?: string | null;
  readonly summary: string;
  /** The accountable chain (agent, owner, invoker, approver) and what happened. */
  readonly detail: JsonObject;
  readonly actor: AuditActor;
  readonly task?: { readonly id: string };
  readonly tool?: string;
  readonly now: number;
}

/**
 * Records an incident in the caller's transaction and returns its `incident.create` audit event,
 * which the caller appends in the same transaction.
 */
export async function recordIncident(
  trx: Trx,
  input: IncidentInput,
): Promise<{ id: string; event: AuditEventInput }> {
  const id = newId('inc', input.now);
  const severity = input.severity ?? severityOf(input.kind);
  await trx
    .insertInto('incidents')
    .values({
      tenant_id: input.tenantId,
      id,
      kind: input.kind,
      severity,
      agent_id: input.agentId,
      approval_id: input.approvalId ?? null,
      decision_id: input.decisionId ?? null,
      summary: input.summary,
      detail: JSON.stringify(input.detail),
      created_at: input.now,
    })
    .execute();
  const event: AuditEventInput = {
    type: 'incident.create',
    actor: input.actor,
    subject: { type: 'incident', id },
    ...(input.task ? { task: input.task } : {}),
    ...(input.tool ? { tool: input.tool } : {}),
    payload: {
      kind: input.kind,
      severity,
      agentId: input.agentId,
      ...(input.approvalId ? { approvalId: input.approvalId } : {}),
      summary: input.summary,
      ...input.detail,
    },
    at: input.now,
  };
  return { id, event };
}
