import { isRecord, RequestFailed } from '../http-client.js';
import { type CliIo, EXIT, paint, UsageError } from '../io.js';
import { checkEnum, stringOf, TIERS, type Values } from './agents-args.js';
import { type Json, printJson, text } from './agents-format.js';
import {
  BUDGET_PERIODS,
  BUDGET_SCOPES,
  BUDGET_UNITS,
  type BudgetsCommand,
  checkAmount,
  checkBudgetName,
  checkPrefixedId,
  checkRole,
  checkThresholds,
  idArgument,
  LIMIT_ACTIONS,
  optionalEnum,
  requiredFlag,
  suspendOf,
} from './budgets-args.js';
import { budgetLines } from './budgets-format.js';

/** The budget routes answer the budget itself, not wrapped in an object. */
function budgetOf(response: unknown): Json {
  if (!isRecord(response) || typeof response.id !== 'string')
    throw new RequestFailed('error: unexpected response from the server: no budget');
  return response;
}

function printed(io: CliIo, json: boolean, response: unknown, done: string): number {
  if (json) {
    printJson(io, response);
    return EXIT.ok;
  }
  const budget = budgetOf(response);
  io.out(`${paint(io, 'green', done)} ${text(budget.id)} (${text(budget.name)})\n${budgetLines(budget)}`);
  return EXIT.ok;
}

export const set: BudgetsCommand = {
  help: `Usage: warden budgets set --name <name> --scope <scope> --period <period> --unit <unit> --limit <amount> [options]

Creates a budget (admin or security). It governs the next decision on every node.

  --name <name>             unique in the tenant: lower-case letters, digits, ".", "_", "-"
  --scope <scope>           ${BUDGET_SCOPES.join(', ')}: whose spend one counter adds up (an agent's, a
                            task's, the agents holding a role together, the whole tenant's)
  --agent <agt_id>          agent and task scopes: for this agent only
  --tier <tier>             agent and task scopes: for the agents of this tier
                            (${TIERS.join(', ')}; neither --agent nor --tier: every agent)
  --role <role>             role scope: the role whose agents share the budget (required)
  --period <period>         ${BUDGET_PERIODS.join(', ')} (task: task scope only; windows follow the
                            tenant's time zone)
  --unit <unit>             ${BUDGET_UNITS.join(', ')}
  --limit <amount>          in the unit: dollars (e.g. 12.5) or a whole number of tokens, calls, records
  --thresholds <list>       percentages announced once per window, e.g. 50,75,90; none for none
                            (default: the server's WARDEN_BUDGET_THRESHOLDS)
  --at-limit <action>       ${LIMIT_ACTIONS.join(', ')}: refuse what does not fit (default), or only alert
  --suspend                 agent and task scopes: also suspend the agent when it reaches the limit
`,
  options: {
    name: { type: 'string' },
    scope: { type: 'string' },
    agent: { type: 'string' },
    tier: { type: 'string' },
    role: { type: 'string' },
    period: { type: 'string' },
    unit: { type: 'string' },
    limit: { type: 'string' },
    thresholds: { type: 'string' },
    'at-limit': { type: 'string' },
    suspend: { type: 'boolean' },
  },
  positionals: [],
  prepare(values) {
    const body = createBody(values);
    return async (api, io, json) => {
      const response = await api.request('POST', '/v1/budgets', body);
      return printed(io, json, response, 'created budget');
    };
  },
};

function createBody(values: Values): Record<string, unknown> {
  const command = 'budgets set';
  const name = checkBudgetName(requiredFlag(values, 'name', command));
  const scope = checkEnum('--scope', BUDGET_SCOPES, requiredFlag(values, 'scope', command));
  const period = checkEnum('--period', BUDGET_PERIODS, requiredFlag(values, 'period', command));
  const unit = checkEnum('--unit', BUDGET_UNITS, requiredFlag(values, 'unit', command));
  const limit = checkAmount(requiredFlag(values, 'limit', command), unit);
  const body: Record<string, unknown> = { name, scope, period, unit, limit };
  const agent = stringOf(values, 'agent');
  const tier = stringOf(values, 'tier');
  const role = stringOf(values, 'role');
  // The combinations the server refuses, named by flag rather than by body field.
  const shared = scope === 'role' || scope === 'tenant';
  if (agent !== undefined) {
    if (shared) throw new UsageError(`--agent: a ${scope} budget covers no single agent`);
    body.agentId = checkPrefixedId('--agent', 'agt', agent);
  }
  if (tier !== undefined) {
    if (shared) throw new UsageError(`--tier: a ${scope} budget covers no tier`);
    if (agent !== undefined) throw new UsageError('--tier: give --agent or --tier, not both');
    body.tier = checkEnum('--tier', TIERS, tier);
  }
  if (scope === 'role') body.role = checkRole(requiredFlag(values, 'role', `${command} --scope role`));
  else if (role !== undefined) throw new UsageError('--role: only a budget with --scope role names a role');
  if (period === 'task' && scope !== 'task')
    throw new UsageError('--period: task is the period of --scope task budgets only');
  const thresholds = stringOf(values, 'thresholds');
  if (thresholds !== undefined) body.thresholds = checkThresholds(thresholds);
  const onLimit = optionalEnum(values, 'at-limit', LIMIT_ACTIONS);
  if (onLimit !== undefined) body.onLimit = onLimit;
  if (values.suspend === true) {
    if (shared)
      throw new UsageError(`--suspend: a ${scope} budget cannot suspend an agent (agent and task only)`);
    body.suspendAgent = true;
  }
  return body;
}

export const update: BudgetsCommand = {
  help: `Usage: warden budgets update <bgt_id> [options]

Changes a budget made through the API (admin or security); only the fields given. Budgets from the
budgets file (source config) are changed in the file: the server refuses them (conflict).

  --name <name>             rename it
  --limit <amount>          the new limit, in the budget's unit
  --thresholds <list>       percentages announced once per window, e.g. 50,75,90; none for none
  --at-limit <action>       ${LIMIT_ACTIONS.join(', ')}
  --suspend                 suspend the agent when it reaches the limit
  --no-suspend              do not suspend it
`,
  options: {
    name: { type: 'string' },
    limit: { type: 'string' },
    thresholds: { type: 'string' },
    'at-limit': { type: 'string' },
    suspend: { type: 'boolean' },
    'no-suspend': { type: 'boolean' },
  },
  positionals: ['budget id'],
  prepare(values, positionals) {
    const id = idArgument(positionals, 'budgets update', 'bgt', 'budget id');
    const body = patchBody(values);
    if (Object.keys(body).length === 0)
      throw new UsageError(
        'budgets update: nothing to change; give at least one of --name, --limit, --thresholds, --at-limit, --suspend, --no-suspend',
      );
    return async (api, io, json) => {
      const response = await api.request('PATCH', `/v1/budgets/${id}`, body);
      return printed(io, json, response, 'updated budget');
    };
  },
};

function patchBody(values: Values): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const name = stringOf(values, 'name');
  if (name !== undefined) body.name = checkBudgetName(name);
  const limit = stringOf(values, 'limit');
  if (limit !== undefined) body.limit = checkAmount(limit, undefined);
  const thresholds = stringOf(values, 'thresholds');
  if (thresholds !== undefined) body.thresholds = checkThresholds(thresholds);
  const onLimit = optionalEnum(values, 'at-limit', LIMIT_ACTIONS);
  if (onLimit !== undefined) body.onLimit = onLimit;
  const suspend = suspendOf(values);
  if (suspend !== undefined) body.suspendAgent = suspend;
  return body;
}

export const remove: BudgetsCommand = {
  help: `Usage: warden budgets delete <bgt_id>

Deletes a budget made through the API (admin or security); it stops governing decisions at once.
Budgets from the budgets file (source config) are removed from the file instead (conflict).
`,
  options: {},
  positionals: ['budget id'],
  prepare(_values, positionals) {
    const id = idArgument(positionals, 'budgets delete', 'bgt', 'budget id');
    return async (api, io, json) => {
      const response = await api.request('DELETE', `/v1/budgets/${id}`);
      if (json) {
        printJson(io, response);
        return EXIT.ok;
      }
      const budget = budgetOf(response);
      io.out(`${paint(io, 'green', 'deleted budget')} ${text(budget.id)} (${text(budget.name)})\n`);
      return EXIT.ok;
    };
  },
};
