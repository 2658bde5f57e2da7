import type { JsonObject } from '@warden/policy';
import type { AuditEventsTable } from '../storage/schema.js';
import type { AuditActor, AuditEventInput } from './audit-log.js';

/** A payload sealed with a data key: base64 of iv (12 bytes) || ciphertext || GCM tag (16 bytes). */
export interface SealedBox {
  readonly $sealed: { readonly key: string; readonly box: string };
}

/**
 * The event exactly as the log stores it. Its RFC 8785 canonical JSON is the leaf; everything a
 * verifier checks is inside it, so an export of these objects and the signed checkpoints is enough to
 * verify the log without the database.
 */
export interface StoredEvent {
  readonly v: 1;
  readonly id: string;
  readonly seq: number;
  readonly tenant: string;
  /** ISO 8601, UTC, milliseconds. */
  readonly time: string;
  readonly type: string;
  readonly actor: AuditActor;
  readonly subject: { readonly type: string; readonly id: string };
  readonly task?: { readonly id: string; readonly parent?: string };
  readonly tool?: string;
  readonly effect?: string;
  readonly outcome?: string;
  readonly rules?: readonly string[];
  readonly policyVersion?: string;
  /** Which redaction detectors fired on the payload, and how often. */
  readonly redactions?: { readonly [detector: string]: number };
  readonly payload: SealedBox | JsonObject;
}

export function storedEvent(
  input: AuditEventInput,
  place: { readonly id: string; readonly seq: number; readonly tenantId: string },
  payload: SealedBox | JsonObject,
  redactions: { readonly [detector: string]: number },
): StoredEvent {
  return {
    v: 1,
    id: place.id,
    seq: place.seq,
    tenant: place.tenantId,
    time: new Date(input.at).toISOString(),
    type: input.type,
    actor: input.actor,
    subject: input.subject,
    ...(input.task ? { task: input.task } : {}),
    ...(input.tool !== undefined ? { tool: input.tool } : {}),
    ...(input.effect !== undefined ? { effect: input.effect } : {}),
    ...(input.outcome !== undefined ? { outcome: input.outcome } : {}),
    ...(input.rules ? { rules: input.rules } : {}),
    ...(input.policyVersion !== undefined ? { policyVersion: input.policyVersion } : {}),
    ...(Object.keys(redactions).length > 0 ? { redactions } : {}),
    payload,
  };
}

export type EventColumns = Omit<AuditEventsTable, 'body' | 'leaf_hash'>;

/**
 * The query columns of an event, derived from the stored event alone. The writer fills the row with
 * them and full verification recomputes them, so a column edited behind the log's back is found.
 */
export function columnsOf(event: StoredEvent): EventColumns {
  const { actor, subject } = event;
  const agentId = actor.type === 'agent' ? actor.id : subject.type === 'agent' ? subject.id : null;
  return {
    tenant_id: event.tenant,
    seq: event.seq,
    id: event.id,
    type: event.type,
    created_at: Date.parse(event.time),
    actor_type: actor.type,
    actor_id: actor.id,
    agent_id: agentId,
    on_behalf_of: actor.onBehalfOf ?? null,
    subject_type: subject.type,
    subject_id: subject.id,
    task_id: event.task?.id ?? null,
    tool: event.tool ?? null,
    effect: event.effect ?? null,
    outcome: event.outcome ?? null,
    rules: event.rules ? JSON.stringify(event.rules) : null,
  };
}

export function isSealedBox(value: unknown): value is SealedBox {
  if (typeof value !== 'object' || value === null || !('$sealed' in value)) return false;
  const inner = (value as { $sealed: unknown }).$sealed;
  return (
    typeof inner === 'object' &&
    inner !== null &&
    typeof (inner as { key?: unknown }).key === 'string' &&
    typeof (inner as { box?: unknown }).box === 'string'
  );
}
