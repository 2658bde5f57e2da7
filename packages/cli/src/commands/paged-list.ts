import { type ApiClient, RequestFailed } from '../http-client.js';
import { type CliIo, EXIT, paint } from '../io.js';
import { arrayField, type Json, printJson, table } from './agents-format.js';

/** A list route answering `{ <field>: [...], nextCursor }`, and how to print its items. */
export interface PagedList {
  /** The route, e.g. `/v1/agents`. */
  readonly path: string;
  /** The array in each answer, e.g. `agents`; also the plural the messages use. */
  readonly field: string;
  readonly headers: readonly string[];
  row(item: Json): string[];
}

/**
 * Fetches one page, or with `all` every page, and prints them: a table, or the server's JSON (pages
 * merged into one answer of the same shape). A cursor left over is shown so the user can go on.
 */
export async function printPagedList(
  list: PagedList,
  api: ApiClient,
  io: CliIo,
  options: {
    readonly query: URLSearchParams;
    readonly cursor?: string;
    readonly all: boolean;
    readonly json: boolean;
  },
): Promise<number> {
  const items: Json[] = [];
  const seen = new Set<string>();
  let cursor = options.cursor;
  let answer: unknown;
  for (;;) {
    const page = await fetchPage(list, api, options.query, cursor);
    answer = page.body;
    items.push(...page.items);
    cursor = page.nextCursor;
    if (!options.all || cursor === undefined) break;
    // A server that hands back a cursor twice would otherwise keep us here forever.
    if (seen.has(cursor))
      throw new RequestFailed(`error: the server repeated the page cursor "${cursor}"; stopping`);
    seen.add(cursor);
  }
  if (options.json) {
    printJson(io, options.all ? { [list.field]: items, nextCursor: cursor ?? null } : answer);
    return EXIT.ok;
  }
  if (items.length === 0) io.out(`no ${list.field} match\n`);
  else
    io.out(
      table(
        io,
        list.headers,
        items.map((item) => list.row(item)),
      ),
    );
  if (cursor !== undefined) {
    io.err(paint(io, 'dim', `more ${list.field}: run again with --all, or with --cursor ${cursor}\n`));
  }
  return EXIT.ok;
}

async function fetchPage(
  list: PagedList,
  api: ApiClient,
  query: URLSearchParams,
  cursor: string | undefined,
): Promise<{ body: unknown; items: Json[]; nextCursor: string | undefined }> {
  const params = new URLSearchParams(query);
  if (cursor !== undefined) params.set('cursor', cursor);
  const search = params.toString();
  const body = await api.request('GET', `${list.path}${search ? `?${search}` : ''}`);
  const next = (body as { nextCursor?: unknown }).nextCursor;
  return {
    body,
    items: arrayField(body, list.field),
    nextCursor: typeof next === 'string' && next ? next : undefined,
  };
}

/** The options of every paged list command: `--limit`, `--cursor`, `--all`. */
export const PAGING_OPTIONS = {
  limit: { type: 'string' },
  cursor: { type: 'string' },
  all: { type: 'boolean' },
} as const;
