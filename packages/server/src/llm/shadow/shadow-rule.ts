import { BUDGET_NAME } from '../../budgets/budget-input.js';
import { invalidField } from '../../errors.js';

/**
 * A model put beside another before a cutover: a share of the calls routed to the provider's
 * `model` are also sent, unchanged but for the model, to `shadow` — never answered to the agent, its
 * tool calls never run — with its cost charged to the budget named `budget` (see shadow-budget.ts).
 */
export interface ShadowRule {
  /** The shadow model as an agent would name it: `model`, `provider/model` or an alias (same API). */
  readonly shadow: string;
  /** The share of calls shadowed, from 0 (none) to 1 (every call). */
  readonly share: number;
  /** The name of the tenant or role budget (usd or tokens) the shadow calls are charged to. */
  readonly budget: string;
}

const KEYS = ['model', 'share', 'budget'];

/**
 * Checks a provider's `shadows` map: model id (the provider's own, after aliases) to its rule,
 * written `{ model, share, budget }`. A mistake names the field (`providers[0].shadows.gpt-4o.share`).
 */
export function checkShadows(
  value: unknown,
  at: string,
  isModel: (model: string, at: string) => string,
): Record<string, ShadowRule> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidField(at, 'must be a mapping of model ids to {model, share, budget}');
  const out: Record<string, ShadowRule> = {};
  for (const [model, spec] of Object.entries(value)) {
    const where = `${at}.${model}`;
    isModel(model, where);
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
      throw invalidField(where, 'must be a mapping with model, share and budget');
    const rule = spec as Record<string, unknown>;
    for (const key of Object.keys(rule)) {
      if (!KEYS.includes(key))
        throw invalidField(`${where}.${key}`, `unknown key (expected ${KEYS.join(', ')})`);
    }
    if (typeof rule.model !== 'string')
      throw invalidField(`${where}.model`, 'must name the shadow model (model, provider/model or alias)');
    const shadow = isModel(rule.model, `${where}.model`);
    if (shadow === model) throw invalidField(`${where}.model`, 'must differ from the model it shadows');
    const share = rule.share;
    if (typeof share !== 'number' || !Number.isFinite(share) || share < 0 || share > 1)
      throw invalidField(`${where}.share`, 'must be a number from 0 to 1 (0.05 shadows 5 % of calls)');
    if (typeof rule.budget !== 'string' || !BUDGET_NAME.test(rule.budget))
      throw invalidField(
        `${where}.budget`,
        'must name the tenant budget the shadow calls are charged to (a shadow is never free)',
      );
    out[model] = { shadow, share, budget: rule.budget };
  }
  return out;
}

/** A rule as the providers file and the API write it. */
export function shadowInput(rule: ShadowRule): { model: string; share: number; budget: string } {
  return { model: rule.shadow, share: rule.share, budget: rule.budget };
}
