import { TRUST_TIERS } from '../agents/agent.js';
import { invalidField } from '../errors.js';
import {
  BUDGET_PERIODS,
  BUDGET_SCOPES,
  BUDGET_UNITS,
  type BudgetPeriod,
  type BudgetScope,
  type BudgetUnit,
  LIMIT_ACTIONS,
  type LimitAction,
  toBase,
} from './budget.js';

/** A budget as people write it (API body, budgets file): the limit in dollars, tokens, calls, records. */
export interface BudgetInput {
  readonly name: string;
  readonly scope: BudgetScope;
  readonly agentId?: string | null;
  readonly tier?: string | null;
  readonly role?: string | null;
  readonly period: BudgetPeriod;
  readonly unit: BudgetUnit;
  readonly limit: number;
  readonly thresholds?: readonly number[];
  readonly onLimit?: LimitAction;
  readonly suspendAgent?: boolean;
}

/** The checked definition, with the limit in base units. */
export interface BudgetDefinition {
  readonly name: string;
  readonly scope: BudgetScope;
  readonly agentId: string | null;
  readonly tier: string | null;
  readonly role: string | null;
  readonly period: BudgetPeriod;
  readonly unit: BudgetUnit;
  readonly limit: number;
  readonly thresholds: readonly number[];
  readonly onLimit: LimitAction;
  readonly suspendAgent: boolean;
}

/** A budget's name: unique in its tenant, so other settings (an LLM shadow rule) can name it. */
export const BUDGET_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const MAX_LIMIT = 1e12;

/**
 * Checks a budget's shape and its combinations; throws `validation_failed` naming the field under
 * `prefix` (`body` for the API, `budgets[3]` for the file). `defaultThresholds` are percentages.
 */
export function checkBudget(
  input: BudgetInput,
  prefix: string,
  defaultThresholds: readonly number[],
): BudgetDefinition {
  const field = (name: string) => `${prefix}.${name}`;
  if (typeof input.name !== 'string' || !BUDGET_NAME.test(input.name)) {
    throw invalidField(field('name'), 'must be 1-63 lower-case letters, digits, dots, dashes or underscores');
  }
  oneOf(input.scope, BUDGET_SCOPES, field('scope'));
  oneOf(input.period, BUDGET_PERIODS, field('period'));
  oneOf(input.unit, BUDGET_UNITS, field('unit'));
  if (input.onLimit !== undefined) oneOf(input.onLimit, LIMIT_ACTIONS, field('onLimit'));
  if (typeof input.limit !== 'number' || !Number.isFinite(input.limit) || input.limit <= 0) {
    throw invalidField(field('limit'), 'must be a number above 0');
  }
  if (input.limit > MAX_LIMIT) throw invalidField(field('limit'), `must be at most ${MAX_LIMIT}`);
  if (input.unit !== 'usd' && !Number.isInteger(input.limit)) {
    throw invalidField(field('limit'), `must be a whole number of ${input.unit}`);
  }
  if (input.unit === 'usd' && toBase('usd', input.limit) === 0) {
    throw invalidField(field('limit'), 'must be at least $0.000001');
  }
  if (input.period === 'task' && input.scope !== 'task') {
    throw invalidField(field('period'), 'the task period belongs to task budgets only');
  }
  const agentId = input.agentId ?? null;
  const tier = input.tier ?? null;
  const role = input.role ?? null;
  if (input.scope === 'role') {
    if (typeof role !== 'string' || role === '')
      throw invalidField(field('role'), 'required for a role budget');
  } else if (role !== null) {
    throw invalidField(field('role'), 'only a role budget names a role');
  }
  if (input.scope === 'tenant' || input.scope === 'role') {
    if (agentId !== null)
      throw invalidField(field('agentId'), `a ${input.scope} budget covers no single agent`);
    if (tier !== null) throw invalidField(field('tier'), `a ${input.scope} budget covers no tier`);
  }
  if (agentId !== null && tier !== null) {
    throw invalidField(field('tier'), 'give an agent or a tier, not both');
  }
  if (agentId !== null && (typeof agentId !== 'string' || !agentId.startsWith('agt_'))) {
    throw invalidField(field('agentId'), 'must be an agent id (agt_...)');
  }
  if (tier !== null) oneOf(tier, TRUST_TIERS, field('tier'));
  const thresholds = input.thresholds ?? defaultThresholds;
  if (!Array.isArray(thresholds) || thresholds.length > 10) {
    throw invalidField(field('thresholds'), 'must be a list of at most 10 percentages');
  }
  for (const [i, t] of thresholds.entries()) {
    if (typeof t !== 'number' || !(t > 0 && t < 100)) {
      throw invalidField(`${field('thresholds')}[${i}]`, 'must be a percentage above 0 and below 100');
    }
  }
  if (input.suspendAgent !== undefined && typeof input.suspendAgent !== 'boolean') {
    throw invalidField(field('suspendAgent'), 'must be true or false');
  }
  if (input.suspendAgent && (input.scope === 'tenant' || input.scope === 'role')) {
    throw invalidField(field('suspendAgent'), 'only agent and task budgets can suspend their agent');
  }
  return {
    name: input.name,
    scope: input.scope,
    agentId,
    tier,
    role,
    period: input.period,
    unit: input.unit,
    limit: toBase(input.unit, input.limit),
    thresholds: [...new Set(thresholds)].sort((a, b) => a - b),
    onLimit: input.onLimit ?? 'deny',
    suspendAgent: input.suspendAgent ?? false,
  };
}

function oneOf(value: unknown, allowed: readonly string[], field: string): void {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw invalidField(field, `must be one of ${allowed.join(', ')}`);
  }
}
