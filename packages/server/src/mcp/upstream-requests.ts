import { invalidField } from '../errors.js';

/**
 * What an upstream may ask of its client (Warden) while it serves a call, when its server entry
 * allows it: `roots/list` (answered by Warden from the entry), `sampling/createMessage` and
 * `elicitation/create` (relayed to the agent whose call is in flight). Anything else is refused.
 */
export const UPSTREAM_REQUESTS = ['sampling', 'elicitation', 'roots'] as const;
export type UpstreamRequestKind = (typeof UPSTREAM_REQUESTS)[number];

/** A filesystem root the operator lets an upstream see (`roots/list`), never the agent's own. */
export interface ConfiguredRoot {
  readonly uri: string;
  readonly name?: string;
}

/** The request method an allowed kind stands for, as upstreams send it. */
export const REQUEST_METHODS: Readonly<Record<UpstreamRequestKind, string>> = {
  sampling: 'sampling/createMessage',
  elicitation: 'elicitation/create',
  roots: 'roots/list',
};

const MAX_ROOTS = 100;
const MAX_ROOT_NAME = 256;
const MAX_URI = 4_096;

/** Whether the entry's upstream may have requests relayed to an agent (sampling or elicitation). */
export function relaysToAgents(entry: { readonly allow: readonly UpstreamRequestKind[] }): boolean {
  return entry.allow.includes('sampling') || entry.allow.includes('elicitation');
}

/** `allow:` of a server entry: a list of distinct kinds; absent is none. */
export function checkAllow(value: unknown, at: string): UpstreamRequestKind[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw invalidField(at, `must be a list drawn from ${UPSTREAM_REQUESTS.join(', ')}`);
  const seen = new Set<UpstreamRequestKind>();
  value.forEach((item, i) => {
    if (!UPSTREAM_REQUESTS.includes(item as UpstreamRequestKind)) {
      throw invalidField(`${at}[${i}]`, `must be one of ${UPSTREAM_REQUESTS.join(', ')}`);
    }
    if (seen.has(item as UpstreamRequestKind)) throw invalidField(`${at}[${i}]`, `${item} appears twice`);
    seen.add(item as UpstreamRequestKind);
  });
  return [...seen];
}

/**
 * `roots:` of a server entry: the `file://` roots Warden answers `roots/list` with, only where `allow`
 * includes `roots` (roots the upstream could never ask for are a mistake, not a default).
 */
export function checkRoots(
  value: unknown,
  at: string,
  allow: readonly UpstreamRequestKind[],
): ConfiguredRoot[] {
  if (value === undefined) return [];
  if (!allow.includes('roots')) throw invalidField(at, 'only with allow including roots');
  if (!Array.isArray(value)) throw invalidField(at, 'must be a list of {uri, name}');
  if (value.length > MAX_ROOTS) throw invalidField(at, `must have at most ${MAX_ROOTS} entries`);
  const uris = new Set<string>();
  return value.map((item, i) => {
    const where = `${at}[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw invalidField(where, 'must be a mapping with uri and an optional name');
    }
    const root = item as Record<string, unknown>;
    for (const key of Object.keys(root)) {
      if (key !== 'uri' && key !== 'name')
        throw invalidField(`${where}.${key}`, 'unknown key (expected uri, name)');
    }
    const uri = fileUri(root.uri, `${where}.uri`);
    if (uris.has(uri)) throw invalidField(`${where}.uri`, `${uri} appears twice`);
    uris.add(uri);
    if (root.name === undefined) return { uri };
    const { name } = root;
    if (
      typeof name !== 'string' ||
      name.length === 0 ||
      name.length > MAX_ROOT_NAME ||
      name.includes('\u0000')
    ) {
      throw invalidField(
        `${where}.name`,
        `must be a non-empty string of at most ${MAX_ROOT_NAME} characters`,
      );
    }
    return { uri, name };
  });
}

/** MCP roots are `file://` URIs; anything else (a relative path, another scheme) is refused. */
function fileUri(value: unknown, at: string): string {
  const refuse = () => invalidField(at, 'must be an absolute file:// URI, such as file:///srv/shared');
  if (typeof value !== 'string' || value.length > MAX_URI || value.includes('\u0000')) throw refuse();
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw refuse();
  }
  if (parsed.protocol !== 'file:' || !value.startsWith('file:///') || parsed.search || parsed.hash)
    throw refuse();
  return value;
}
