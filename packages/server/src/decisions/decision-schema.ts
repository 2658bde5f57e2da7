import { MAX_SIGNAL_STRING, MAX_SIGNALS, SIGNAL_NAME } from '@warden/policy';
import { type Static, Type } from 'typebox';
import { ENVIRONMENTS } from '../agents/agent.js';
import { IdOf, IsoTime, NullableIsoTime, StrictObject, toIso } from '../http/schemas.js';
import type { RecordedDecision } from './decision.js';

const ApproverSchema = Type.Object({
  kind: Type.Union([Type.Literal('group'), Type.Literal('user'), Type.Literal('initiator')]),
  name: Type.Optional(Type.String()),
});

export const ApprovalSchema = Type.Object({
  steps: Type.Array(
    Type.Object({ name: Type.String(), approvers: Type.Array(ApproverSchema), required: Type.Integer() }),
  ),
  timeoutSeconds: Type.Integer(),
  onTimeout: Type.String(),
  escalateTo: Type.Array(ApproverSchema),
  mode: Type.String(),
  sampleRate: Type.Optional(Type.Number()),
});

/** The approval request this decision opened (a review, a sampled allow) or used (code `approved`). */
export const ApprovalRefSchema = Type.Object({
  id: Type.String(),
  mode: Type.String(),
  status: Type.String(),
  deadline: IsoTime,
  grantExpiresAt: NullableIsoTime,
  links: Type.Object({ wait: Type.String(), events: Type.String() }),
});

export const DecisionSchema = Type.Object({
  decisionId: Type.String(),
  effect: Type.Union([Type.Literal('allow'), Type.Literal('review'), Type.Literal('deny')]),
  code: Type.String(),
  reason: Type.String(),
  decidingRule: Type.Union([Type.String(), Type.Null()]),
  decidingAgent: Type.String(),
  rules: Type.Array(Type.String()),
  conditionErrors: Type.Array(Type.Object({ rule: Type.String(), message: Type.String() })),
  approval: Type.Union([ApprovalSchema, Type.Null()]),
  sample: Type.Union([ApprovalSchema, Type.Null()]),
  approvalOwners: Type.Array(Type.String()),
  approvalRequest: Type.Union([ApprovalRefSchema, Type.Null()]),
  delegation: Type.Array(
    Type.Object({
      agentId: Type.String(),
      effect: Type.String(),
      code: Type.String(),
      decidingRule: Type.Union([Type.String(), Type.Null()]),
      rules: Type.Array(Type.String()),
    }),
  ),
  policyVersion: Type.String(),
  evaluationMicros: Type.Number(),
  agentId: Type.String(),
  taskId: Type.Union([Type.String(), Type.Null()]),
  decidedAt: IsoTime,
  budget: Type.Optional(
    Type.Object({
      remaining: Type.Record(Type.String(), Type.Number()),
      warnings: Type.Array(
        Type.Object({
          budgetId: Type.String(),
          name: Type.String(),
          scope: Type.String(),
          unit: Type.String(),
          period: Type.String(),
          limit: Type.Number(),
          used: Type.Number(),
          remaining: Type.Number(),
          percent: Type.Number(),
          windowEnds: NullableIsoTime,
          message: Type.String(),
        }),
      ),
      reservation: Type.Union([Type.Object({ id: Type.String(), expiresAt: IsoTime }), Type.Null()]),
    }),
  ),
  /** For `rate_limited`: when the oldest call in the window leaves it. */
  retryAfterSeconds: Type.Optional(Type.Number()),
});

/**
 * What the agent reports with a call, read by conditions as `signals.*`: only signals the tenant's
 * policy declares, each of its declared type (checked by the decide path against the policy).
 */
export const SignalsSchema = Type.Record(
  Type.String({ pattern: SIGNAL_NAME.source }),
  Type.Union([Type.Number(), Type.Boolean(), Type.String({ maxLength: MAX_SIGNAL_STRING })]),
  { maxProperties: MAX_SIGNALS },
);

export const TaskId = Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$' });
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });

export const DecideBody = StrictObject({
  tool: Type.String({ minLength: 1, maxLength: 256 }),
  args: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  context: Type.Optional(
    StrictObject({
      taskId: Type.Optional(TaskId),
      parentTaskId: Type.Optional(TaskId),
      initiator: Type.Optional(Text(256)),
      onBehalfOf: Type.Optional(Text(256)),
      interface: Type.Optional(Text(64)),
      environment: Type.Optional(Type.Union(ENVIRONMENTS.map((e) => Type.Literal(e)))),
      reasoning: Type.Optional(Type.String({ maxLength: 20_000 })),
      model: Type.Optional(Text(200)),
      modelVersion: Type.Optional(Text(200)),
      promptVersion: Type.Optional(Text(200)),
      toolVersion: Type.Optional(Text(200)),
      recommendation: Type.Optional(Type.String({ maxLength: 20_000 })),
      signals: Type.Optional(SignalsSchema),
    }),
  ),
  approvalId: Type.Optional(IdOf('apr')),
  /** What the call expects to cost; reserved against every budget that applies until the outcome. */
  estimate: Type.Optional(
    StrictObject({
      usd: Type.Optional(Type.Number({ minimum: 0, maximum: 1e9 })),
      tokens: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e12 })),
      records: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e12 })),
    }),
  ),
  /**
   * The agents this one acts for, outermost first. Each link is proven by the grant its agent gave
   * to the next one down (a bare id only where that agent spawned the next one).
   */
  delegation: Type.Optional(
    Type.Array(
      Type.Union([IdOf('agt'), StrictObject({ agentId: IdOf('agt'), grant: Type.Optional(IdOf('dlg')) })]),
      { maxItems: 32 },
    ),
  ),
});

export function decisionJson(recorded: RecordedDecision): Static<typeof DecisionSchema> {
  const { budget, ...decision } = recorded;
  return {
    ...decision,
    rules: [...decision.rules],
    conditionErrors: [...decision.conditionErrors],
    // The engine's types are deeply readonly; the response is serialised as is.
    approval: decision.approval as unknown as Static<typeof ApprovalSchema> | null,
    sample: decision.sample as unknown as Static<typeof ApprovalSchema> | null,
    approvalOwners: [...decision.approvalOwners],
    approvalRequest: decision.approvalRequest
      ? {
          ...decision.approvalRequest,
          deadline: toIso(decision.approvalRequest.deadline),
          grantExpiresAt: toIso(decision.approvalRequest.grantExpiresAt),
          links: {
            wait: `/v1/approvals/${decision.approvalRequest.id}/wait`,
            events: `/v1/approvals/${decision.approvalRequest.id}/events`,
          },
        }
      : null,
    delegation: decision.delegation.map((verdict) => ({ ...verdict, rules: [...verdict.rules] })),
    ...(budget
      ? {
          budget: {
            remaining: { ...budget.remaining },
            warnings: [...budget.warnings],
            reservation: budget.reservation,
          },
        }
      : {}),
    decidedAt: toIso(decision.decidedAt),
  };
}
