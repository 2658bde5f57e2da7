import type { ApiClient } from '../http-client.js';
import { UsageError } from '../io.js';
import { checkEnum, stringOf, type Values } from './agents-args.js';
import type { CheckedCommand } from './subcommand.js';

/**
 * Local checks of `warden budgets` arguments: the server's own rules, so a typo is a usage error
 * (exit 2) naming the flag, and nothing is sent.
 */

export type BudgetsCommand = CheckedCommand<ApiClient>;

export const BUDGET_SCOPES = ['agent', 'task', 'role', 'tenant'] as const;
export const BUDGET_PERIODS = ['hour', 'day', 'week', 'month', 'task'] as const;
export const BUDGET_UNITS = ['usd', 'tokens', 'calls', 'records'] as const;
export const LIMIT_ACTIONS = ['deny', 'alert'] as const;
export const RATE_LIMIT_SCOPES = ['agent', 'task', 'tool'] as const;

export type BudgetUnit = (typeof BUDGET_UNITS)[number];

const BUDGET_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const RULE_NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;
/** The policy language's tool glob syntax, as the server checks it. */
const TOOL_GLOB = /^[A-Za-z0-9_*][A-Za-z0-9_.:/*-]{0,199}$/;
const AMOUNT = /^(\d+(\.\d*)?|\.\d+)$/;
const MAX_LIMIT = 1e12;
const MAX_THRESHOLDS = 10;
export const MAX_CALLS = 10_000_000;
export const MAX_WINDOW_SECONDS = 7 * 86_400;
const MAX_ROLE = 64;

/** The server's ids: a prefix, then 26 lower-case Crockford base32 characters. */
export function checkPrefixedId(what: string, prefix: 'agt' | 'bgt' | 'rtl', value: string): string {
  if (!new RegExp(`^${prefix}_[0-9a-hjkmnp-tv-z]{26}$`).test(value))
    throw new UsageError(`${what}: expected ${prefix}_ followed by 26 characters, got "${value}"`);
  return value;
}

/** The first positional argument, an id: named in the error when missing or malformed. */
export function idArgument(
  positionals: readonly string[],
  command: string,
  prefix: 'agt' | 'bgt' | 'rtl',
  what: string,
): string {
  const value = positionals[0];
  if (value === undefined) throw new UsageError(`${command}: missing the ${what} (${prefix}_…)`);
  return checkPrefixedId(what, prefix, value);
}

export function requiredFlag(values: Values, name: string, command: string): string {
  const value = stringOf(values, name);
  if (value === undefined) throw new UsageError(`${command}: --${name} is required`);
  return value;
}

export function checkBudgetName(value: string): string {
  if (!BUDGET_NAME.test(value))
    throw new UsageError(
      `--name: expected 1-63 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit, got "${value}"`,
    );
  return value;
}

export function checkRuleName(value: string): string {
  if (!RULE_NAME.test(value))
    throw new UsageError(
      `--name: expected 1-100 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit, got "${value}"`,
    );
  return value;
}

export function checkRole(value: string): string {
  if (value.trim() === '' || value.length > MAX_ROLE)
    throw new UsageError(`--role: expected a role name of 1-${MAX_ROLE} characters, got "${value}"`);
  return value;
}

export function checkToolGlob(value: string): string {
  if (!TOOL_GLOB.test(value))
    throw new UsageError(
      `--tool: expected a tool name or glob of letters, digits, "_", ".", ":", "/", "-" and "*" (e.g. crm.*), got "${value}"`,
    );
  return value;
}

/**
 * A budget limit as people write it (12.5 dollars, 1000 tokens). Without the unit (an update) only
 * the shape is checked; the server knows the budget's unit.
 */
export function checkAmount(value: string, unit: BudgetUnit | undefined): number {
  const amount = AMOUNT.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(amount) || amount <= 0)
    throw new UsageError(`--limit: expected a number above 0 (e.g. 25 or 12.5), got "${value}"`);
  if (amount > MAX_LIMIT) throw new UsageError(`--limit: at most ${MAX_LIMIT}, got "${value}"`);
  if (unit !== undefined && unit !== 'usd' && !Number.isInteger(amount))
    throw new UsageError(`--limit: expected a whole number of ${unit}, got "${value}"`);
  if (unit === 'usd' && Math.round(amount * 1_000_000) === 0)
    throw new UsageError(`--limit: at least 0.000001 dollars, got "${value}"`);
  return amount;
}

/** `50,75,90`: percentages of the limit announced once per window; `none` for no announcements. */
export function checkThresholds(value: string): number[] {
  if (value.trim() === 'none') return [];
  const parts = value.split(',').map((part) => part.trim());
  if (parts.length > MAX_THRESHOLDS)
    throw new UsageError(`--thresholds: at most ${MAX_THRESHOLDS} percentages, got ${parts.length}`);
  return parts.map((part) => {
    const percent = AMOUNT.test(part) ? Number(part) : Number.NaN;
    if (!(percent > 0 && percent < 100))
      throw new UsageError(
        `--thresholds: expected comma-separated percentages above 0 and below 100 (e.g. 50,75,90) or none, got "${value}"`,
      );
    return percent;
  });
}

export function checkWhole(flag: string, value: string, max: number): number {
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < 1 || number > max)
    throw new UsageError(`${flag}: expected a whole number from 1 to ${max}, got "${value}"`);
  return number;
}

export function optionalEnum<T extends string>(
  values: Values,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const value = stringOf(values, name);
  return value === undefined ? undefined : checkEnum(`--${name}`, allowed, value);
}

/** `--suspend` / `--no-suspend`: true, false, or not given. Both at once is a mistake. */
export function suspendOf(values: Values): boolean | undefined {
  const on = values.suspend === true;
  const off = values['no-suspend'] === true;
  if (on && off) throw new UsageError('--suspend and --no-suspend: give one of them, not both');
  return on ? true : off ? false : undefined;
}
