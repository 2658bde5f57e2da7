import { EXIT, paint, UsageError } from '../io.js';
import { checkEnum, stringOf, TIERS, type Values } from './agents-args.js';
import { objectField, printJson } from './agents-format.js';
import {
  type BudgetsCommand,
  checkPrefixedId,
  checkRuleName,
  checkToolGlob,
  checkWhole,
  idArgument,
  MAX_CALLS,
  MAX_WINDOW_SECONDS,
  RATE_LIMIT_SCOPES,
  requiredFlag,
} from './budgets-args.js';
import { RATE_LIMIT_HEADERS, rateLimitLine, rateLimitRow } from './budgets-format.js';
import { printWholeList, type WholeList } from './budgets-read.js';

const RATE_LIMITS: WholeList = {
  path: '/v1/rate-limits',
  field: 'rateLimits',
  none: 'no rate limits',
  headers: RATE_LIMIT_HEADERS,
  row: rateLimitRow,
};

const SELECTOR_HELP = `  --agent <agt_id>          for this agent only (overrides tier and every-agent rules)
  --tier <tier>             for the agents of this tier: ${TIERS.join(', ')}
                            (neither --agent nor --tier: every agent)
  --tool <glob>             scope tool: the tools counted, each on its own (e.g. crm.*)
  --max-calls <n>           calls allowed in the window (1 to ${MAX_CALLS})
  --window-seconds <s>      the sliding window (1 to ${MAX_WINDOW_SECONDS} seconds)
`;

export const list: BudgetsCommand = {
  help: `Usage: warden budgets rate-limits list

Lists the tenant's rate limits by name: the ones made through the API (source api) and the ones
from the budgets file (source config).
`,
  options: {},
  positionals: [],
  prepare() {
    return (api, io, json) => printWholeList(RATE_LIMITS, api, io, json);
  },
};

export const set: BudgetsCommand = {
  help: `Usage: warden budgets rate-limits set --name <name> --scope <scope> --max-calls <n> --window-seconds <s> [options]

Creates a sliding-window rate limit (admin or security). It applies from the next call on every node.

  --name <name>             unique in the tenant: lower-case letters, digits, ".", "_", "-"
  --scope <scope>           ${RATE_LIMIT_SCOPES.join(', ')}: all calls of an agent, all calls of one task,
                            or an agent's calls of each tool matching --tool
${SELECTOR_HELP}`,
  options: {
    name: { type: 'string' },
    scope: { type: 'string' },
    agent: { type: 'string' },
    tier: { type: 'string' },
    tool: { type: 'string' },
    'max-calls': { type: 'string' },
    'window-seconds': { type: 'string' },
  },
  positionals: [],
  prepare(values) {
    const body = createBody(values);
    return async (api, io, json) => {
      const response = await api.request('POST', '/v1/rate-limits', body);
      if (json) {
        printJson(io, response);
        return EXIT.ok;
      }
      io.out(
        `${paint(io, 'green', 'created rate limit')} ${rateLimitLine(objectField(response, 'rateLimit'))}\n`,
      );
      return EXIT.ok;
    };
  },
};

function createBody(values: Values): Record<string, unknown> {
  const command = 'budgets rate-limits set';
  const scope = checkEnum('--scope', RATE_LIMIT_SCOPES, requiredFlag(values, 'scope', command));
  const body: Record<string, unknown> = {
    name: checkRuleName(requiredFlag(values, 'name', command)),
    scope,
    maxCalls: checkWhole('--max-calls', requiredFlag(values, 'max-calls', command), MAX_CALLS),
    windowSeconds: checkWhole(
      '--window-seconds',
      requiredFlag(values, 'window-seconds', command),
      MAX_WINDOW_SECONDS,
    ),
  };
  const agent = stringOf(values, 'agent');
  const tier = stringOf(values, 'tier');
  if (agent !== undefined) body.agentId = checkPrefixedId('--agent', 'agt', agent);
  if (tier !== undefined) {
    if (agent !== undefined) throw new UsageError('--tier: give --agent or --tier, not both');
    body.tier = checkEnum('--tier', TIERS, tier);
  }
  const tool = stringOf(values, 'tool');
  if (scope === 'tool') body.tool = checkToolGlob(requiredFlag(values, 'tool', `${command} --scope tool`));
  else if (tool !== undefined) throw new UsageError('--tool: applies to --scope tool only');
  return body;
}

export const update: BudgetsCommand = {
  help: `Usage: warden budgets rate-limits update <rtl_id> [options]

Changes a rate limit made through the API (admin or security); only the fields given. Counters carry
on under the new limit. Rules from the budgets file (source config) are refused (conflict).

  --name <name>             rename it
  --scope <scope>           ${RATE_LIMIT_SCOPES.join(', ')}
${SELECTOR_HELP}
--agent none, --tier none and --tool none clear the field.
`,
  options: {
    name: { type: 'string' },
    scope: { type: 'string' },
    agent: { type: 'string' },
    tier: { type: 'string' },
    tool: { type: 'string' },
    'max-calls': { type: 'string' },
    'window-seconds': { type: 'string' },
  },
  positionals: ['rate limit id'],
  prepare(values, positionals) {
    const id = idArgument(positionals, 'budgets rate-limits update', 'rtl', 'rate limit id');
    const body = patchBody(values);
    if (Object.keys(body).length === 0)
      throw new UsageError(
        'budgets rate-limits update: nothing to change; give at least one of --name, --scope, --agent, --tier, --tool, --max-calls, --window-seconds',
      );
    return async (api, io, json) => {
      const response = await api.request('PATCH', `/v1/rate-limits/${id}`, body);
      if (json) {
        printJson(io, response);
        return EXIT.ok;
      }
      io.out(
        `${paint(io, 'green', 'updated rate limit')} ${rateLimitLine(objectField(response, 'rateLimit'))}\n`,
      );
      return EXIT.ok;
    };
  },
};

function patchBody(values: Values): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const given = (name: string, check: (value: string) => unknown, field = name) => {
    const value = stringOf(values, name);
    if (value !== undefined) body[field] = check(value);
  };
  const clearable = (check: (value: string) => string) => (value: string) =>
    value === 'none' ? null : check(value);
  given('name', checkRuleName);
  given('scope', (v) => checkEnum('--scope', RATE_LIMIT_SCOPES, v));
  given(
    'agent',
    clearable((v) => checkPrefixedId('--agent', 'agt', v)),
    'agentId',
  );
  given(
    'tier',
    clearable((v) => checkEnum('--tier', TIERS, v)),
  );
  given('tool', clearable(checkToolGlob));
  given('max-calls', (v) => checkWhole('--max-calls', v, MAX_CALLS), 'maxCalls');
  given('window-seconds', (v) => checkWhole('--window-seconds', v, MAX_WINDOW_SECONDS), 'windowSeconds');
  if (typeof body.agentId === 'string' && typeof body.tier === 'string')
    throw new UsageError('--tier: give --agent or --tier, not both');
  return body;
}

export const remove: BudgetsCommand = {
  help: `Usage: warden budgets rate-limits delete <rtl_id>

Deletes a rate limit made through the API (admin or security). Rules from the budgets file
(source config) are refused (conflict).
`,
  options: {},
  positionals: ['rate limit id'],
  prepare(_values, positionals) {
    const id = idArgument(positionals, 'budgets rate-limits delete', 'rtl', 'rate limit id');
    return async (api, io, json) => {
      const response = await api.request('DELETE', `/v1/rate-limits/${id}`);
      if (json) {
        printJson(io, response);
        return EXIT.ok;
      }
      io.out(
        `${paint(io, 'green', 'deleted rate limit')} ${rateLimitLine(objectField(response, 'rateLimit'))}\n`,
      );
      return EXIT.ok;
    };
  },
};
