import type { AuditActor, AuditEventInput } from '../audit/audit-log.js';
import { toIso } from '../http/schemas.js';
import type { IssuedSecret } from './issue.js';

/** The audit record of a new agent key: which agent, its hint and expiry, never the secret or hash. */
export function keyCreateEvent(actor: AuditActor, agentId: string, key: IssuedSecret): AuditEventInput {
  return {
    type: 'key.create',
    actor,
    subject: { type: 'key', id: key.id },
    payload: { agentId, hint: key.hint, expiresAt: toIso(key.expiresAt) },
    at: key.createdAt,
  };
}
