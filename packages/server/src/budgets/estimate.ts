import type { BudgetUnit } from './budget.js';

/** What a call expects to cost (a decision's estimate), or what it did cost (an outcome). */
export interface Amounts {
  readonly usd?: number;
  readonly tokens?: number;
  readonly records?: number;
}

/** The units a call's amounts are given in; calls are counted by the decide path itself. */
export const AMOUNT_UNITS = ['usd', 'tokens', 'records'] as const satisfies readonly BudgetUnit[];
