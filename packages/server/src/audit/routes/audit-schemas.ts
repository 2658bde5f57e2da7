import { type Static, Type } from 'typebox';
import { StrictObject } from '../../http/schemas.js';
import type { AuditExporter } from '../audit-export.js';
import type { AuditProofs } from '../audit-proofs.js';
import type { AuditEventView, AuditReader } from '../audit-reader.js';
import { MAX_RETENTION_DAYS, MIN_RETENTION_DAYS, type RetentionSettings } from '../audit-retention.js';
import type { AuditShredder } from '../audit-shred.js';

/** The services the audit routes call; the routes themselves hold no queries. */
export interface AuditServices {
  readonly reader: AuditReader;
  readonly proofs: AuditProofs;
  readonly exporter: AuditExporter;
  readonly shredder: AuditShredder;
  readonly retention: RetentionSettings;
}

/** Any human of the tenant: the log's signed state and proofs reveal no payloads. */
export const ANY_HUMAN = { kind: 'human' } as const;
/** Who reads events and their payloads: auditors (and admins, who pass every role check). */
export const EVENT_READERS = { kind: 'human', roles: ['auditor'] } as const;

export const Base64Hash = Type.String({ description: 'base64 SHA-256 hash' });
export const TreeSize = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

const Actor = Type.Object({
  type: Type.String(),
  id: Type.String(),
  onBehalfOf: Type.Optional(Type.String()),
  delegation: Type.Optional(Type.Array(Type.String())),
  delegationProofs: Type.Optional(Type.Array(Type.String())),
  initiator: Type.Optional(Type.String()),
  interface: Type.Optional(Type.String()),
});

export const AuditEventSchema = Type.Object({
  id: Type.String(),
  seq: Type.Integer(),
  time: Type.String({ format: 'date-time' }),
  type: Type.String(),
  actor: Actor,
  subject: Type.Object({ type: Type.String(), id: Type.String() }),
  task: Type.Union([Type.Object({ id: Type.String(), parent: Type.Optional(Type.String()) }), Type.Null()]),
  tool: Type.Union([Type.String(), Type.Null()]),
  effect: Type.Union([Type.String(), Type.Null()]),
  outcome: Type.Union([Type.String(), Type.Null()]),
  rules: Type.Array(Type.String()),
  policyVersion: Type.Union([Type.String(), Type.Null()]),
  redactions: Type.Record(Type.String(), Type.Integer()),
  payload: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
    description: 'the opened payload; null once its retention period ended',
  }),
  shredded: Type.Boolean({ description: 'whether the payload is gone (its retention key destroyed)' }),
  leafHash: Base64Hash,
});

export function auditEventJson(event: AuditEventView): Static<typeof AuditEventSchema> {
  const { delegation, delegationProofs, ...actor } = event.actor;
  return {
    ...event,
    actor: {
      ...actor,
      ...(delegation ? { delegation: [...delegation] } : {}),
      ...(delegationProofs ? { delegationProofs: [...delegationProofs] } : {}),
    },
    rules: [...event.rules],
  };
}

export const Retention = StrictObject({
  days: Type.Integer({
    minimum: MIN_RETENTION_DAYS,
    maximum: MAX_RETENTION_DAYS,
    description: 'payloads are shredded this many days after the end of their month',
  }),
});
