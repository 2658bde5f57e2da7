import { createClient } from '../http-client.js';
import { UsageError } from '../io.js';
import { checkEnum, checkId, checkInteger, checkText, stringOf, type Values } from './agents-args.js';
import { type Json, text } from './agents-format.js';
import { APPROVAL_KINDS, APPROVAL_STATUSES, type ApprovalsCommand } from './approvals-args.js';
import { agentName, relative, stepOf, toolOf } from './approvals-format.js';
import { PAGING_OPTIONS, type PagedList, printPagedList } from './paged-list.js';

export const list: ApprovalsCommand = {
  help: `Usage: warden approvals list [filters] [--limit <n>] [--all]

Lists approval requests you may see, newest first, one page at a time.

  --mine                pending requests waiting for your decision
  --status <status>     ${APPROVAL_STATUSES.join(', ')}
  --kind <kind>         ${APPROVAL_KINDS.join(', ')}
  --agent <agt_id>      one agent's requests (its history)
  --limit <n>           requests per page
  --cursor <cursor>     start from this page (the nextCursor of a previous --json answer)
  --all                 follow every page to the end
`,
  options: {
    mine: { type: 'boolean' },
    status: { type: 'string' },
    kind: { type: 'string' },
    agent: { type: 'string' },
    ...PAGING_OPTIONS,
  },
  positionals: [],
  prepare(values) {
    const query = listQuery(values);
    const options = { query, cursor: stringOf(values, 'cursor'), all: values.all === true };
    return (connection, io, json) =>
      printPagedList(approvalsList(Date.now()), createClient(connection), io, { ...options, json });
  },
};

/** The table; deadlines are relative to when the command ran. */
function approvalsList(now: number): PagedList {
  return {
    path: '/v1/approvals',
    field: 'approvals',
    headers: ['ID', 'KIND', 'MODE', 'STATUS', 'AGENT', 'TOOL', 'STEP', 'DEADLINE'],
    row: (approval: Json) => [
      text(approval.id),
      text(approval.kind),
      text(approval.mode),
      text(approval.status),
      agentName(approval),
      toolOf(approval).replaceAll(', ', ','),
      stepOf(approval),
      // A settled request's deadline no longer applies.
      approval.status === 'pending' ? relative(approval.deadline, now) : '-',
    ],
  };
}

function listQuery(values: Values): URLSearchParams {
  const query = new URLSearchParams();
  const add = (flag: string, param: string, check: (value: string) => string | number) => {
    const value = stringOf(values, flag);
    if (value !== undefined) query.set(param, String(check(value)));
  };
  add('status', 'status', (v) => checkEnum('--status', APPROVAL_STATUSES, v));
  add('kind', 'kind', (v) => checkEnum('--kind', APPROVAL_KINDS, v));
  add('agent', 'agentId', (v) => checkId('--agent', 'agt', v));
  add('limit', 'limit', (v) => checkInteger('--limit', v, 1));
  add('cursor', 'cursor', (v) => checkText('--cursor', v));
  if (values.mine === true) {
    // The server answers only pending requests for `mine`; another status would be silently ignored.
    const status = query.get('status');
    if (status !== null && status !== 'pending')
      throw new UsageError(`--mine lists pending requests; it cannot be combined with --status ${status}`);
    query.set('mine', 'true');
  }
  return query;
}
