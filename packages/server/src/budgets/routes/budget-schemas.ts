import { type Static, Type } from 'typebox';
import { TRUST_TIERS } from '../../agents/agent.js';
import { IdOf, IsoTime, NullableIsoTime, StrictObject, toIso } from '../../http/schemas.js';
import {
  BUDGET_PERIODS,
  BUDGET_SCOPES,
  BUDGET_UNITS,
  type Budget,
  fromBase,
  LIMIT_ACTIONS,
} from '../budget.js';
import type { CounterView } from '../budget-service.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const BudgetSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scope: Type.String(),
  agentId: Nullable(Type.String()),
  tier: Nullable(Type.String()),
  role: Nullable(Type.String()),
  period: Type.String(),
  unit: Type.String(),
  limit: Type.Number(),
  thresholds: Type.Array(Type.Number()),
  onLimit: Type.String(),
  suspendAgent: Type.Boolean(),
  source: Type.String(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});

export const CounterSchema = Type.Object({
  budget: BudgetSchema,
  counter: Type.String(),
  windowStart: NullableIsoTime,
  windowEnd: NullableIsoTime,
  used: Type.Number(),
  reserved: Type.Number(),
  spent: Type.Number(),
  remaining: Type.Number(),
  percent: Type.Number(),
});

const fields = {
  name: Type.String({ minLength: 1, maxLength: 63 }),
  scope: Type.Union(BUDGET_SCOPES.map((s) => Type.Literal(s))),
  agentId: Type.Optional(Type.Union([IdOf('agt'), Type.Null()])),
  tier: Type.Optional(Type.Union([...TRUST_TIERS.map((t) => Type.Literal(t)), Type.Null()])),
  role: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
  period: Type.Union(BUDGET_PERIODS.map((p) => Type.Literal(p))),
  unit: Type.Union(BUDGET_UNITS.map((u) => Type.Literal(u))),
  limit: Type.Number({ exclusiveMinimum: 0 }),
  thresholds: Type.Optional(Type.Array(Type.Number(), { maxItems: 10 })),
  onLimit: Type.Optional(Type.Union(LIMIT_ACTIONS.map((a) => Type.Literal(a)))),
  suspendAgent: Type.Optional(Type.Boolean()),
};

export const CreateBudgetBody = StrictObject(fields);

export const UpdateBudgetBody = Type.Object(
  {
    name: Type.Optional(fields.name),
    limit: Type.Optional(fields.limit),
    thresholds: fields.thresholds,
    onLimit: fields.onLimit,
    suspendAgent: fields.suspendAgent,
  },
  { additionalProperties: false, minProperties: 1 },
);

export function budgetJson(budget: Budget): Static<typeof BudgetSchema> {
  return {
    id: budget.id,
    name: budget.name,
    scope: budget.scope,
    agentId: budget.agentId,
    tier: budget.tier,
    role: budget.role,
    period: budget.period,
    unit: budget.unit,
    limit: fromBase(budget.unit, budget.limit),
    thresholds: [...budget.thresholds],
    onLimit: budget.onLimit,
    suspendAgent: budget.suspendAgent,
    source: budget.source,
    createdAt: toIso(budget.createdAt),
    updatedAt: toIso(budget.updatedAt),
  };
}

export function counterJson(view: CounterView): Static<typeof CounterSchema> {
  const { budget } = view;
  const round = (base: number) => Math.round(fromBase(budget.unit, base) * 1e6) / 1e6;
  return {
    budget: budgetJson(budget),
    counter: view.counter,
    windowStart: view.windowStart === null ? null : toIso(view.windowStart),
    windowEnd: view.windowEnd === null ? null : toIso(view.windowEnd),
    used: round(view.used),
    reserved: round(view.reserved),
    spent: round(view.spent),
    remaining: round(Math.max(0, budget.limit - view.used)),
    percent: Math.floor((view.used * 100) / budget.limit),
  };
}
