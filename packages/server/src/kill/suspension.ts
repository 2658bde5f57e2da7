import type { JsonValue } from '@warden/policy';
import type { Agent } from '../agents/agent.js';
import type { AuditActor, AuditEventInput } from '../audit/audit-log.js';
import type { Trx } from '../storage/database.js';

/**
 * Suspends an active or pending agent whose row the caller holds locked, the way the lifecycle does
 * (`suspended_from` remembers where a resume returns it), and returns the `agent.suspend` event to
 * append in the same transaction. `kill: true` tells a kill from an ordinary suspend in the log.
 */
export async function suspendLocked(
  trx: Trx,
  agent: Agent,
  actor: AuditActor,
  reason: string,
  now: number,
  extra: { readonly [key: string]: JsonValue } = {},
): Promise<{ agent: Agent; event: AuditEventInput }> {
  await trx
    .updateTable('agents')
    .set({ status: 'suspended', updated_at: now, suspended_from: agent.status })
    .where('tenant_id', '=', agent.tenantId)
    .where('id', '=', agent.id)
    .execute();
  return {
    agent: { ...agent, status: 'suspended', updatedAt: now },
    event: {
      type: 'agent.suspend',
      actor,
      subject: { type: 'agent', id: agent.id },
      payload: { name: agent.name, from: agent.status, to: 'suspended', reason, kill: true, ...extra },
      at: now,
    },
  };
}
