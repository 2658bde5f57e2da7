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

/**
 * Builds the stored event with every object's keys in sorted order, so its canonical JSON is plain
 * JSON.stringify (canonicalJson's fast path) on the append path.
 */
export function storedEvent(
  input: AuditEventInput,
  place: { readonly id: string; readonly seq: number; readonly tenantId: string },
  payload: SealedBox | JsonObject,
  redactions: { readonly [detector: string]: number },
): StoredEvent {
  const { actor, subject, task } = input;
  return {
    actor: {
      ...(actor.delegation?.length ? { delegation: actor.delegation } : {}),
      ...(actor.delegationProofs?.length ? { delegationProofs: actor.delegationProofs } : {}),
      id: actor.id,
      ...(actor.initiator !== undefined ? { initiator: actor.initiator } : {}),
      ...(actor.interface !== undefined ? { interface: actor.interface } : {}),
      ...(actor.onBehalfOf !== undefined ? { onBehalfOf: actor.onBehalfOf } : {}),
      type: actor.type,
    },
    ...(input.effect !== undefined ? { effect: input.effect } : {}),
    id: place.id,
    ...(input.outcome !== undefined ? { outcome: input.outcome } : {}),
    payload,
    ...(input.policyVersion !== undefined ? { policyVersion: input.policyVersion } : {}),
    ...(Object.keys(redactions).length > 0 ? { redactions: sortedCounts(redactions) } : {}),
    ...(input.rules ? { rules: input.rules } : {}),
    seq: place.seq,
    subject: { id: subject.id, type: subject.type },
    ...(task ? { task: { id: task.id, ...(task.parent !== undefined ? { parent: task.parent } : {}) } } : {}),
    tenant: place.tenantId,
    time: new Date(input.at).toISOString(),
    ...(input.tool !== undefined ? { tool: input.tool } : {}),
    type: input.type,
    v: 1,
  };
}

function sortedCounts(counts: { readonly [detector: string]: number }): { [detector: string]: number } {
  const sorted: { [detector: string]: number } = {};
  for (const key of Object.keys(counts).sort()) sorted[key] = counts[key] as number;
  return sorted;
}

export type EventColumns = Omit<AuditEventsTable, 'body' | 'leaf_hash' | 'mac'>;

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
