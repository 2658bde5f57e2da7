import type { ApiClient } from '../http-client.js';
import { type CliIo, EXIT } from '../io.js';
import { stringOf } from './agents-args.js';
import { arrayField, type Json, objectField, printJson, table } from './agents-format.js';
import { type BudgetsCommand, checkWhole, idArgument } from './budgets-args.js';
import {
  agentBudgetsTable,
  BUDGET_HEADERS,
  budgetLines,
  budgetRow,
  countersTable,
} from './budgets-format.js';

/** The server's cap on how many counters `GET /v1/budgets/:id` answers. */
const MAX_COUNTERS = 500;

/** A list route that answers everything at once (`{ <field>: [...] }`), and how to print it. */
export interface WholeList {
  readonly path: string;
  readonly field: string;
  /** What to print when the list is empty. */
  readonly none: string;
  readonly headers: readonly string[];
  row(item: Json): string[];
}

/** Budgets and rate limits are few and not paged: one request, then a table or the server's JSON. */
export async function printWholeList(
  list: WholeList,
  api: ApiClient,
  io: CliIo,
  json: boolean,
): Promise<number> {
  const response = await api.request('GET', list.path);
  if (json) {
    printJson(io, response);
    return EXIT.ok;
  }
  const items = arrayField(response, list.field);
  io.out(
    items.length === 0
      ? `${list.none}\n`
      : table(
          io,
          list.headers,
          items.map((item) => list.row(item)),
        ),
  );
  return EXIT.ok;
}

const BUDGETS: WholeList = {
  path: '/v1/budgets',
  field: 'budgets',
  none: 'no budgets',
  headers: BUDGET_HEADERS,
  row: budgetRow,
};

export const list: BudgetsCommand = {
  help: `Usage: warden budgets list

Lists the tenant's budgets by name: the ones made through the API (source api) and the ones from
the budgets file or the built-in tier defaults (source config).
`,
  options: {},
  positionals: [],
  prepare() {
    return (api, io, json) => printWholeList(BUDGETS, api, io, json);
  },
};

export const show: BudgetsCommand = {
  help: `Usage: warden budgets show <bgt_id> [--counters <n>]

Prints a budget and its counters in the current window, most used first: what each agent, task,
role or the tenant has used of the limit, what is left, and when the window ends.

  --counters <n>   how many counters to show (default 50, at most ${MAX_COUNTERS})
`,
  options: { counters: { type: 'string' } },
  positionals: ['budget id'],
  prepare(values, positionals) {
    const id = idArgument(positionals, 'budgets show', 'bgt', 'budget id');
    const counters = stringOf(values, 'counters');
    const query = counters === undefined ? '' : `?limit=${checkWhole('--counters', counters, MAX_COUNTERS)}`;
    return async (api, io, json) => {
      const response = await api.request('GET', `/v1/budgets/${id}${query}`);
      if (json) {
        printJson(io, response);
        return EXIT.ok;
      }
      const budget = objectField(response, 'budget');
      const rows = arrayField(response, 'counters');
      io.out(budgetLines(budget));
      io.out('\ncounters in the current window:\n');
      io.out(rows.length === 0 ? '  none: nothing used yet\n' : countersTable(io, rows, Date.now()));
      return EXIT.ok;
    };
  },
};

export const agent: BudgetsCommand = {
  help: `Usage: warden budgets agent <agt_id>

Lists every budget that governs the agent now, with what it has used, the limit, what is left and
when the window ends: for each unit and period the most specific agent budget (one naming the agent,
else its tier's, else the one for every agent), its roles' budgets and the tenant's. Per-task budgets
count each task apart and are not listed.
`,
  options: {},
  positionals: ['agent id'],
  prepare(_values, positionals) {
    const id = idArgument(positionals, 'budgets agent', 'agt', 'agent id');
    return async (api, io, json) => {
      const response = await api.request('GET', `/v1/agents/${id}/budgets`);
      if (json) {
        printJson(io, response);
        return EXIT.ok;
      }
      const rows = arrayField(response, 'budgets');
      io.out(rows.length === 0 ? `no budgets govern agent ${id}\n` : agentBudgetsTable(io, rows, Date.now()));
      return EXIT.ok;
    };
  },
};
