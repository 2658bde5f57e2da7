import type { Config } from '../config/config.js';
import { checkRateLimitRules } from '../limits/rate-limit-rules.js';
import type { RateLimitService } from '../limits/rate-limit-service.js';
import type { BudgetService } from './budget-service.js';
import { defaultBudgets, readBudgetsFile } from './budgets-file.js';

/**
 * At start: the default tenant's file-managed budgets and rate limits become what WARDEN_BUDGETS_FILE
 * says, or the built-in tier defaults when there is no file. A file with a mistake stops the start,
 * naming the entry, rather than run with limits nobody meant.
 */
export async function applyBudgetsFile(
  config: Pick<Config, 'budgetsFile' | 'budgetThresholds'>,
  tenantId: string,
  services: { budgets: BudgetService; rateLimits: RateLimitService },
): Promise<void> {
  const file = config.budgetsFile
    ? await readBudgetsFile(config.budgetsFile, config.budgetThresholds)
    : defaultBudgets(config.budgetThresholds);
  const rules = checkRateLimitRules(file.rateLimits, 'rateLimits');
  if (!rules.ok) {
    throw new Error(`WARDEN_BUDGETS_FILE ${config.budgetsFile}: ${rules.field}: ${rules.message}`);
  }
  await services.budgets.applyFile(tenantId, file.budgets, file.timeZone);
  await services.rateLimits.syncFromConfig(tenantId, rules.rules, { type: 'system', id: 'budgets-file' });
}
