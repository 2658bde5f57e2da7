import { Type } from 'typebox';
import { AgentSchema } from '../../agents/routes/agent-schemas.js';
import { NullableIsoTime, StrictObject, toIso } from '../../http/schemas.js';
import type { TenantFreeze } from '../tenant-state.js';

/** Schema pieces shared by the kill-switch routes. */

export const Reason = Type.String({ minLength: 1, maxLength: 500 });

/** A kill of an agent or an owner: the reason is optional (it defaults to naming the switch). */
export const OptionalReasonBody = StrictObject({ reason: Type.Optional(Reason) });

/** The reason recorded when a kill gives none. */
export const NO_REASON = 'kill switch (no reason given)';

export const CancelledApprovals = Type.Array(Type.String(), {
  description: 'ids of the approval requests the kill cancelled',
});

export const OwnerSchema = Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() });

export const AgentsSchema = Type.Array(AgentSchema);

export const TenantFreezeSchema = Type.Object({
  id: Type.String(),
  frozen: Type.Boolean(),
  frozenAt: NullableIsoTime,
  frozenBy: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
});

export function freezeJson(tenantId: string, freeze: TenantFreeze | null) {
  return {
    id: tenantId,
    frozen: freeze !== null,
    frozenAt: toIso(freeze?.at ?? null),
    frozenBy: freeze?.by ?? null,
    reason: freeze?.reason ?? null,
  };
}
