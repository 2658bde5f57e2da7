import { createClient } from '../http-client.js';
import { UsageError } from '../io.js';
import {
  checkEnum,
  checkId,
  checkInteger,
  checkText,
  checkTime,
  stringOf,
  type Values,
} from './agents-args.js';
import { type Json, text } from './agents-format.js';
import type { AuditCommand } from './audit.js';
import { PAGING_OPTIONS, type PagedList, printPagedList } from './paged-list.js';

const ORDERS = ['asc', 'desc'] as const;
const MAX_LIMIT = 500;

export const auditQuery: AuditCommand = {
  help: `Usage: warden audit query [filters] [--limit <n>] [--all]

Searches the audit log (admin, auditor), oldest first. Every filter narrows the result.
Quote patterns with * (--tool 'github.*') so the shell passes them on as they are.

  --agent <agt_id>         events of this agent (acting, or acted upon)
  --tool <tool>            this tool, or a prefix ending in * (github.*)
  --type <type>            this event type, or a prefix ending in .* (decision.*)
  --effect <effect>        allow, review or deny
  --outcome <status>       succeeded or failed
  --task <task id>         events of this task
  --on-behalf-of <who>     events of agents acting for this person
  --rule <rule id>         decisions this rule took part in
  --from <iso>             at or after this time
  --to <iso>               before this time
  --order <asc|desc>       oldest (asc, the default) or newest first
  --limit <n>              events per page (1 to ${MAX_LIMIT}, default 100)
  --cursor <cursor>        start from this page (the nextCursor of a previous --json answer)
  --all                    follow every page to the end
`,
  options: {
    agent: { type: 'string' },
    tool: { type: 'string' },
    type: { type: 'string' },
    effect: { type: 'string' },
    outcome: { type: 'string' },
    task: { type: 'string' },
    'on-behalf-of': { type: 'string' },
    rule: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    order: { type: 'string' },
    ...PAGING_OPTIONS,
  },
  prepare(values) {
    const query = eventQuery(values);
    const options = { query, cursor: stringOf(values, 'cursor'), all: values.all === true };
    return (connection, io, json) =>
      printPagedList(EVENTS, createClient(connection), io, { ...options, json });
  },
};

const EVENTS: PagedList = {
  path: '/v1/audit/events',
  field: 'events',
  headers: ['SEQ', 'TIME', 'TYPE', 'AGENT', 'TOOL', 'EFFECT', 'OUTCOME'],
  row,
};

function row(event: Json): string[] {
  return [
    text(event.seq),
    text(event.time),
    text(event.type),
    text(agentOf(event)),
    text(event.tool),
    text(event.effect),
    text(event.outcome),
  ];
}

/** The agent an event is about: the one acting, else the one acted upon. */
function agentOf(event: Json): unknown {
  for (const party of [event.actor, event.subject]) {
    const { type, id } = (party ?? {}) as { type?: unknown; id?: unknown };
    if (type === 'agent') return id;
  }
  return undefined;
}

function eventQuery(values: Values): URLSearchParams {
  const query = new URLSearchParams();
  const add = (flag: string, param: string, check: (value: string) => string | number) => {
    const value = stringOf(values, flag);
    if (value !== undefined) query.set(param, String(check(value)));
  };
  add('agent', 'agent', (v) => checkId('--agent', 'agt', v));
  add('tool', 'tool', (v) => checkText('--tool', v));
  add('type', 'type', (v) => checkText('--type', v));
  add('effect', 'effect', (v) => checkText('--effect', v));
  add('outcome', 'outcome', (v) => checkText('--outcome', v));
  add('task', 'task', (v) => checkText('--task', v));
  add('on-behalf-of', 'onBehalfOf', (v) => checkText('--on-behalf-of', v));
  add('rule', 'rule', (v) => checkText('--rule', v));
  add('from', 'from', (v) => checkTime('--from', v));
  add('to', 'to', (v) => checkTime('--to', v));
  add('order', 'order', (v) => checkEnum('--order', ORDERS, v));
  add('limit', 'limit', (v) => {
    const limit = checkInteger('--limit', v, 1);
    if (limit > MAX_LIMIT) throw new UsageError(`--limit: at most ${MAX_LIMIT}, got ${limit}`);
    return limit;
  });
  add('cursor', 'cursor', (v) => checkText('--cursor', v));
  return query;
}
