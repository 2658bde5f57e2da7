import { TRUST_TIERS, type TrustTier } from '../agents/agent.js';
import { isId } from '../ids.js';
import { type Failure, failure, type Result } from '../result.js';

/**
 * Rate-limit rules as defined through the API or the budgets file. Counters are not here: they live in
 * a RateLimiter (memory or Redis); a rule only says which calls share a counter and how many fit.
 */

export const RATE_LIMIT_SCOPES = ['agent', 'task', 'tool'] as const;
/** agent: all calls of an agent; task: all calls of one running task; tool: an agent's calls of each matching tool. */
export type RateLimitScope = (typeof RATE_LIMIT_SCOPES)[number];
export const RATE_LIMIT_SOURCES = ['api', 'config'] as const;
export type RateLimitSource = (typeof RATE_LIMIT_SOURCES)[number];

export const MAX_CALLS = 10_000_000;
export const MAX_WINDOW_SECONDS = 7 * 86_400;
export const RULE_NAME_PATTERN = '^[a-z0-9][a-z0-9._-]{0,99}$';
/** The policy language's tool glob syntax (`crm.*`, `*.delete`). */
export const TOOL_GLOB_PATTERN = '^[A-Za-z0-9_*][A-Za-z0-9_.:/*-]{0,199}$';

export interface RateLimitRuleInput {
  readonly name: string;
  readonly scope: RateLimitScope;
  /** The selector: one agent, or every agent of a tier, or (both null) every agent. */
  readonly agentId: string | null;
  readonly tier: TrustTier | null;
  /** Scope tool only: the tools counted, each on its own. */
  readonly tool: string | null;
  readonly maxCalls: number;
  readonly windowSeconds: number;
}

export interface RateLimitRule extends RateLimitRuleInput {
  readonly id: string;
  readonly tenantId: string;
  /** `config` rules belong to the budgets file: the API cannot change them. */
  readonly source: RateLimitSource;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A rule that does not hold: `field` is the path of the offending field (`rateLimits[1].maxCalls`). */
export type RuleIssue = Failure<'invalid_field'> & { readonly field: string };

export type RuleCheck = Result<{ readonly rule: RateLimitRuleInput }, RuleIssue>;

function issue(field: string, message: string): RuleIssue {
  return failure('invalid_field', message, { field });
}

const FIELDS = new Set(['name', 'scope', 'agentId', 'tier', 'tool', 'maxCalls', 'windowSeconds']);
const NAME = new RegExp(RULE_NAME_PATTERN);
const TOOL_GLOB = new RegExp(TOOL_GLOB_PATTERN);

/**
 * Checks one rule from an untrusted source (the budgets file, or a request body after its schema) and
 * the combinations a schema cannot express. `path` names where it came from: `body`, `rateLimits[2]`.
 * Absent selector and tool fields mean null.
 */
export function checkRateLimitRule(input: unknown, path: string): RuleCheck {
  const fail = (field: string, message: string): RuleCheck => issue(`${path}.${field}`, message);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return issue(path, 'must be an object');
  }
  const value = input as Record<string, unknown>;
  for (const field of Object.keys(value)) if (!FIELDS.has(field)) return fail(field, 'is not a known field');
  const { name, scope, maxCalls, windowSeconds } = value;
  const agentId = value.agentId ?? null;
  const tier = value.tier ?? null;
  const tool = value.tool ?? null;
  if (typeof name !== 'string' || !NAME.test(name)) {
    return fail(
      'name',
      'must be 1-100 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit',
    );
  }
  if (!RATE_LIMIT_SCOPES.includes(scope as RateLimitScope))
    return fail('scope', `must be one of ${RATE_LIMIT_SCOPES.join(', ')}`);
  if (agentId !== null && (typeof agentId !== 'string' || !isId(agentId, 'agt')))
    return fail('agentId', 'must be an agent id (agt_...)');
  if (tier !== null && !TRUST_TIERS.includes(tier as TrustTier))
    return fail('tier', `must be one of ${TRUST_TIERS.join(', ')}`);
  if (agentId !== null && tier !== null)
    return fail('tier', 'select one agent (agentId) or a tier, not both');
  if (tool !== null && (typeof tool !== 'string' || !TOOL_GLOB.test(tool))) {
    return fail('tool', 'must be a tool name or glob of letters, digits, "_", ".", ":", "/", "-" and "*"');
  }
  if (scope === 'tool' && tool === null) return fail('tool', 'is required for scope tool');
  if (scope !== 'tool' && tool !== null) return fail('tool', 'applies to scope tool only');
  if (!isWhole(maxCalls, 1, MAX_CALLS))
    return fail('maxCalls', `must be a whole number from 1 to ${MAX_CALLS}`);
  if (!isWhole(windowSeconds, 1, MAX_WINDOW_SECONDS)) {
    return fail('windowSeconds', `must be a whole number of seconds from 1 to ${MAX_WINDOW_SECONDS}`);
  }
  return {
    ok: true,
    rule: {
      name,
      scope: scope as RateLimitScope,
      agentId: agentId as string | null,
      tier: tier as TrustTier | null,
      tool: tool as string | null,
      maxCalls: maxCalls as number,
      windowSeconds: windowSeconds as number,
    },
  };
}

/** A list of rules (the budgets file's `rateLimits`): each rule checked, names unique. */
export function checkRateLimitRules(
  input: unknown,
  path: string,
): Result<{ readonly rules: RateLimitRuleInput[] }, RuleIssue> {
  if (!Array.isArray(input)) return issue(path, 'must be a list');
  const rules: RateLimitRuleInput[] = [];
  const names = new Set<string>();
  for (const [index, item] of input.entries()) {
    const checked = checkRateLimitRule(item, `${path}[${index}]`);
    if (!checked.ok) return checked;
    if (names.has(checked.rule.name)) {
      return issue(`${path}[${index}].name`, `${checked.rule.name} is used twice`);
    }
    names.add(checked.rule.name);
    rules.push(checked.rule);
  }
  return { ok: true, rules };
}

function isWhole(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** The rule's definition, for audit payloads and change detection. */
export function ruleDefinition(rule: RateLimitRuleInput): RateLimitRuleInput {
  return {
    name: rule.name,
    scope: rule.scope,
    agentId: rule.agentId,
    tier: rule.tier,
    tool: rule.tool,
    maxCalls: rule.maxCalls,
    windowSeconds: rule.windowSeconds,
  };
}

/** The fields that differ, as `{field: {from, to}}`. */
export function ruleChanges(
  before: RateLimitRuleInput,
  after: RateLimitRuleInput,
): Record<string, { from: string | number | null; to: string | number | null }> {
  const changes: Record<string, { from: string | number | null; to: string | number | null }> = {};
  const a = ruleDefinition(before);
  const b = ruleDefinition(after);
  for (const field of Object.keys(a) as (keyof RateLimitRuleInput)[]) {
    if (a[field] !== b[field]) changes[field] = { from: a[field], to: b[field] };
  }
  return changes;
}
