import type { JsonValue } from '@warden/policy';
import type { Trx } from '../storage/database.js';

export interface AuditActor {
  readonly type: 'human' | 'agent' | 'system';
  readonly id: string;
  /** For an agent acting for someone: the human (or upstream agent) it acts on behalf of. */
  readonly onBehalfOf?: string;
}

export interface AuditEventInput {
  /** `resource.verb`: agent.create, decision.allow, decision.outcome, policy.activate, ... */
  readonly type: string;
  readonly actor: AuditActor;
  readonly subject: { readonly type: string; readonly id: string };
  readonly payload: { readonly [key: string]: JsonValue };
  readonly at: number;
}

export interface AuditRecord extends AuditEventInput {
  readonly id: string;
  readonly tenantId: string;
  /** Position in the tenant's log: 1, 2, 3, ... without gaps. */
  readonly seq: number;
}

/**
 * The audit port. Appends happen inside the caller's transaction, so an event exists exactly when the
 * change it records does; the sequence is per tenant and gap-free. The tamper-evident (Merkle)
 * implementation replaces the table one behind this same interface.
 */
export interface AuditLog {
  append(trx: Trx, tenantId: string, events: readonly AuditEventInput[]): Promise<AuditRecord[]>;
}
