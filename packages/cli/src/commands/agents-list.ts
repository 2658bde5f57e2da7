import { type ApiClient, RequestFailed } from '../http-client.js';
import { EXIT, paint } from '../io.js';
import {
  checkEnum,
  checkId,
  checkInteger,
  checkText,
  checkTime,
  ENVIRONMENTS,
  RISKS,
  STATUSES,
  stringOf,
  TIERS,
  type Values,
} from './agents-args.js';
import { type AgentsCommand, arrayField, type Json, printJson, table, text } from './agents-format.js';

export const list: AgentsCommand = {
  help: `Usage: warden agents list [filters] [--limit <n>] [--all]

Lists agents, newest first, one page at a time.

  --owner <usr_id>         owned by this human
  --status <status>        ${STATUSES.join(', ')}
  --tier <tier>            ${TIERS.join(', ')}
  --risk <class>           ${RISKS.join(', ')}
  --env <env>              may act in this environment: ${ENVIRONMENTS.join(', ')}
  --role <role>            holds this role
  --active-since <iso>     last active at or after this time
  --inactive-since <iso>   not active since this time (or never)
  --limit <n>              agents per page
  --cursor <cursor>        start from this page (the nextCursor of a previous --json answer)
  --all                    follow every page to the end
`,
  options: {
    owner: { type: 'string' },
    status: { type: 'string' },
    tier: { type: 'string' },
    risk: { type: 'string' },
    env: { type: 'string' },
    role: { type: 'string' },
    'active-since': { type: 'string' },
    'inactive-since': { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    all: { type: 'boolean' },
  },
  positionals: [],
  prepare(values) {
    const query = listQuery(values);
    const all = values.all === true;
    let cursor = stringOf(values, 'cursor');
    return async (api, io, json) => {
      const agents: Json[] = [];
      const seen = new Set<string>();
      let answer: unknown;
      for (;;) {
        const page = await fetchPage(api, query, cursor);
        answer = page.body;
        agents.push(...page.agents);
        cursor = page.nextCursor;
        if (!all || cursor === undefined) break;
        // A server that hands back a cursor twice would otherwise keep us here forever.
        if (seen.has(cursor))
          throw new RequestFailed(`error: the server repeated the page cursor "${cursor}"; stopping`);
        seen.add(cursor);
      }
      if (json) {
        // One page is printed as it came; --all merges the pages into one answer of the same shape.
        printJson(io, all ? { agents, nextCursor: cursor ?? null } : answer);
        return EXIT.ok;
      }
      if (agents.length === 0) io.out('no agents match\n');
      else io.out(table(io, HEADERS, agents.map(row)));
      if (cursor !== undefined) {
        io.err(paint(io, 'dim', `more agents: run again with --all, or with --cursor ${cursor}\n`));
      }
      return EXIT.ok;
    };
  },
};

const HEADERS = ['ID', 'NAME', 'STATUS', 'TIER', 'RISK', 'ENVIRONMENTS', 'OWNER', 'LAST ACTIVE'];

function row(agent: Json): string[] {
  return [
    text(agent.id),
    text(agent.name),
    text(agent.status),
    text(agent.tier),
    text(agent.risk),
    text(agent.environments).replaceAll(', ', ','),
    text(agent.ownerId),
    text(agent.lastActiveAt, 'never'),
  ];
}

function listQuery(values: Values): URLSearchParams {
  const query = new URLSearchParams();
  const add = (flag: string, param: string, check: (value: string) => string | number) => {
    const value = stringOf(values, flag);
    if (value !== undefined) query.set(param, String(check(value)));
  };
  add('owner', 'owner', (v) => checkId('--owner', 'usr', v));
  add('status', 'status', (v) => checkEnum('--status', STATUSES, v));
  add('tier', 'tier', (v) => checkEnum('--tier', TIERS, v));
  add('risk', 'risk', (v) => checkEnum('--risk', RISKS, v));
  add('env', 'environment', (v) => checkEnum('--env', ENVIRONMENTS, v));
  add('role', 'role', (v) => checkText('--role', v));
  add('active-since', 'activeSince', (v) => checkTime('--active-since', v));
  add('inactive-since', 'inactiveSince', (v) => checkTime('--inactive-since', v));
  add('limit', 'limit', (v) => checkInteger('--limit', v, 1));
  add('cursor', 'cursor', (v) => checkText('--cursor', v));
  return query;
}

async function fetchPage(
  api: ApiClient,
  query: URLSearchParams,
  cursor: string | undefined,
): Promise<{ body: unknown; agents: Json[]; nextCursor: string | undefined }> {
  const params = new URLSearchParams(query);
  if (cursor !== undefined) params.set('cursor', cursor);
  const search = params.toString();
  const body = await api.request('GET', `/v1/agents${search ? `?${search}` : ''}`);
  const agents = arrayField(body, 'agents');
  const next = (body as { nextCursor?: unknown }).nextCursor;
  return { body, agents, nextCursor: typeof next === 'string' && next ? next : undefined };
}
