import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { WardenError } from '../errors.js';
import type { BudgetDefinition, BudgetInput } from './budget-input.js';
import { checkBudget } from './budget-input.js';
import { isTimeZone } from './windows.js';

/** The budgets file (`WARDEN_BUDGETS_FILE`): the tenant's time zone, budgets and rate limits as code. */
export interface BudgetsFile {
  readonly timeZone?: string;
  readonly budgets: readonly BudgetDefinition[];
  /** Checked by the rate-limit rules; kept raw here. */
  readonly rateLimits: readonly unknown[];
}

/**
 * Without a budgets file every agent still has a daily spend ceiling by trust tier, as the people
 * who run agents asked for: sandbox $100, monitored $500, trusted $1,000 a day.
 */
export const DEFAULT_BUDGETS: readonly BudgetInput[] = [
  { name: 'sandbox-daily-usd', scope: 'agent', tier: 'sandbox', period: 'day', unit: 'usd', limit: 100 },
  { name: 'monitored-daily-usd', scope: 'agent', tier: 'monitored', period: 'day', unit: 'usd', limit: 500 },
  { name: 'trusted-daily-usd', scope: 'agent', tier: 'trusted', period: 'day', unit: 'usd', limit: 1000 },
];

export function defaultBudgets(thresholds: readonly number[]): BudgetsFile {
  return {
    budgets: DEFAULT_BUDGETS.map((b, i) => checkBudget(b, `defaults[${i}]`, thresholds)),
    rateLimits: [],
  };
}

const KEYS = new Set(['timeZone', 'budgets', 'rateLimits']);

/** Reads and checks the file; a mistake names the file and the entry (`budgets[2].limit: ...`). */
export async function readBudgetsFile(path: string, thresholds: readonly number[]): Promise<BudgetsFile> {
  let parsed: unknown;
  try {
    parsed = parseYaml(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`WARDEN_BUDGETS_FILE ${path} cannot be read: ${(error as Error).message}`);
  }
  try {
    return checkFile(parsed ?? {}, thresholds);
  } catch (error) {
    if (error instanceof WardenError) throw new Error(`WARDEN_BUDGETS_FILE ${path}: ${error.message}`);
    throw error;
  }
}

export function checkFile(parsed: unknown, thresholds: readonly number[]): BudgetsFile {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new WardenError('invalid_request', 'must hold a mapping with timeZone, budgets and rateLimits');
  }
  const file = parsed as Record<string, unknown>;
  for (const key of Object.keys(file)) {
    if (!KEYS.has(key))
      throw new WardenError(
        'invalid_request',
        `${key}: unknown key (expected timeZone, budgets, rateLimits)`,
      );
  }
  const { timeZone, budgets = [], rateLimits = [] } = file;
  if (timeZone !== undefined && (typeof timeZone !== 'string' || !isTimeZone(timeZone))) {
    throw new WardenError(
      'invalid_request',
      `timeZone: ${JSON.stringify(timeZone)} is not an IANA time zone`,
    );
  }
  if (!Array.isArray(budgets)) throw new WardenError('invalid_request', 'budgets: must be a list');
  if (!Array.isArray(rateLimits)) throw new WardenError('invalid_request', 'rateLimits: must be a list');
  const names = new Set<string>();
  const definitions = budgets.map((entry, i) => {
    if (typeof entry !== 'object' || entry === null) {
      throw new WardenError('invalid_request', `budgets[${i}]: must be a mapping`);
    }
    const definition = checkBudget(entry as BudgetInput, `budgets[${i}]`, thresholds);
    if (names.has(definition.name)) {
      throw new WardenError('invalid_request', `budgets[${i}].name: ${definition.name} appears twice`);
    }
    names.add(definition.name);
    return definition;
  });
  return { ...(timeZone ? { timeZone: timeZone as string } : {}), budgets: definitions, rateLimits };
}
