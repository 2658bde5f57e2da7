import { Type } from 'typebox';
import { ToolPattern } from '../../access/routes/access-routes.js';
import { TaskId } from '../../decisions/decision-schema.js';
import { IdOf, IsoTime, NullableIsoTime, StrictObject, toIso } from '../../http/schemas.js';
import {
  DEFAULT_DELEGATION_SECONDS,
  type DelegationGrant,
  MAX_DELEGATION_SECONDS,
  MIN_DELEGATION_SECONDS,
} from '../delegation.js';

export const GrantBody = StrictObject({
  delegateId: IdOf('agt'),
  tools: Type.Array(ToolPattern, { minItems: 1, maxItems: 50 }),
  taskId: Type.Optional(TaskId),
  ttlSeconds: Type.Optional(
    Type.Integer({
      minimum: MIN_DELEGATION_SECONDS,
      maximum: MAX_DELEGATION_SECONDS,
      description: `how long the grant lasts; default ${DEFAULT_DELEGATION_SECONDS}`,
    }),
  ),
});

export const DelegationSchema = Type.Object({
  id: Type.String(),
  delegatorId: Type.String(),
  delegateId: Type.String(),
  tools: Type.Array(Type.String()),
  taskId: Type.Union([Type.String(), Type.Null()]),
  createdAt: IsoTime,
  expiresAt: IsoTime,
  revokedAt: NullableIsoTime,
  revokedBy: Type.Union([Type.String(), Type.Null()]),
});

export const ListQuery = Type.Object({ all: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

export const DelegationList = Type.Object({ delegations: Type.Array(DelegationSchema) });

export const GrantParams = Type.Object({ id: IdOf('dlg') });

export function delegationJson(grant: DelegationGrant) {
  return {
    id: grant.id,
    delegatorId: grant.delegatorId,
    delegateId: grant.delegateId,
    tools: [...grant.tools],
    taskId: grant.taskId,
    createdAt: toIso(grant.createdAt),
    expiresAt: toIso(grant.expiresAt),
    revokedAt: toIso(grant.revokedAt),
    revokedBy: grant.revokedBy,
  };
}
