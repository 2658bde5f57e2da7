import { Type } from 'typebox';
import { IdOf, IsoTime, NullableIsoTime } from '../../http/schemas.js';

export const ApprovalParams = Type.Object({ id: IdOf('apr') });

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const ApprovalSchema = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  mode: Type.String(),
  status: Type.String(),
  agentId: Type.String(),
  decisionId: Nullable(Type.String()),
  taskId: Nullable(Type.String()),
  tool: Nullable(Type.String()),
  actionDigest: Nullable(Type.String()),
  requester: Type.Object({ type: Type.String(), id: Type.String() }),
  initiatorId: Nullable(Type.String()),
  onBehalfOfId: Nullable(Type.String()),
  context: Type.Record(Type.String(), Type.Unknown()),
  steps: Type.Array(
    Type.Object({
      name: Type.String(),
      approvers: Type.Array(Type.String()),
      required: Type.Integer(),
      approvals: Type.Integer(),
      state: Type.String(),
    }),
  ),
  currentStep: Nullable(Type.String()),
  escalation: Type.Integer(),
  onTimeout: Type.String(),
  eligible: Type.Array(Type.String()),
  onCall: Type.Array(Type.String()),
  excluded: Type.Array(Type.Object({ humanId: Type.String(), why: Type.String() })),
  votes: Type.Array(
    Type.Object({
      humanId: Type.String(),
      step: Type.String(),
      verdict: Type.String(),
      comment: Nullable(Type.String()),
      at: IsoTime,
    }),
  ),
  deadline: IsoTime,
  createdAt: IsoTime,
  updatedAt: IsoTime,
  decidedAt: NullableIsoTime,
  decidedBy: Nullable(Type.String()),
  comment: Nullable(Type.String()),
  grantExpiresAt: NullableIsoTime,
  consumedAt: NullableIsoTime,
  consumedBy: Nullable(Type.String()),
  links: Type.Object({ self: Type.String() }),
});

/** What the requesting agent sees. */
export const AgentApprovalSchema = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  mode: Type.String(),
  status: Type.String(),
  tool: Nullable(Type.String()),
  actionDigest: Nullable(Type.String()),
  deadline: IsoTime,
  decidedAt: NullableIsoTime,
  comment: Nullable(Type.String()),
  grantExpiresAt: NullableIsoTime,
  consumedAt: NullableIsoTime,
});

export const Comment = Type.String({ minLength: 1, maxLength: 2000 });
