import type { JsonValue } from '@warden/policy';
import type { Trx } from '../storage/database.js';

/** Who acted: the principal, and for an agent the chain of people and agents behind it. */
export interface AuditActor {
  readonly type: 'human' | 'agent' | 'system';
  readonly id: string;
  /** The human (or upstream agent) an agent acts on behalf of. */
  readonly onBehalfOf?: string;
  /** The agents that delegated to this one, outermost first. */
  readonly delegation?: readonly string[];
  /** What proved each link of `delegation`: the delegator's grant id, or `spawn` for a parent. */
  readonly delegationProofs?: readonly string[];
  /** The human who started the task, when known. */
  readonly initiator?: string;
  /** Where the request came from: api, slack, mcp, ... */
  readonly interface?: string;
}

export interface AuditEventInput {
  /** `resource.verb`: agent.create, decision.allow, decision.outcome, policy.activate, ... */
  readonly type: string;
  readonly actor: AuditActor;
  readonly subject: { readonly type: string; readonly id: string };
  readonly task?: { readonly id: string; readonly parent?: string };
  /** Facts kept in the clear (never shredded) because auditors filter on them. */
  readonly tool?: string;
  readonly effect?: string;
  readonly outcome?: string;
  readonly rules?: readonly string[];
  readonly policyVersion?: string;
  /** The details. Redacted before storage and sealed with the tenant's retention key. */
  readonly payload: { readonly [key: string]: JsonValue };
  /**
   * Set when the caller already protected the payload (DataProtection): the detectors that fired.
   * The log then stores the payload as given instead of redacting it again.
   */
  readonly redactions?: { readonly [detector: string]: number };
  readonly at: number;
}

export interface AuditRecord {
  readonly id: string;
  readonly tenantId: string;
  /** The leaf index in the tenant's log: 0, 1, 2, ... without gaps. */
  readonly seq: number;
}

/**
 * The audit port. Appends happen inside the caller's transaction, so an event exists exactly when the
 * change it records does, and sequence numbers are assigned under the tenant's log lock.
 */
export interface AuditLog {
  append(trx: Trx, tenantId: string, events: readonly AuditEventInput[]): Promise<AuditRecord[]>;
}
