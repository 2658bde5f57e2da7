import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from './io.js';
import { VERSION } from './version.js';

export const DEFAULT_URL = 'http://127.0.0.1:7420';
/** Where the server's first start writes the admin token (its default data directory is `.warden`). */
export const TOKEN_FILE = join('.warden', 'admin-token');
const TIMEOUT_MS = 30_000;

export interface Connection {
  readonly url: string;
  readonly token: string;
}

/**
 * The request could not be completed: the server answered with an error, or could not be reached.
 * The message is the whole line to print; the command exits 1.
 */
export class RequestFailed extends Error {
  override readonly name = 'RequestFailed';
}

/** `--url` / `--token`, then WARDEN_URL / WARDEN_TOKEN, then the default URL and `.warden/admin-token`. */
export async function resolveConnection(
  flags: { url?: string | undefined; token?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): Promise<Connection> {
  const url = resolveUrl(flags.url, env);
  const token = nonEmpty(flags.token) ?? nonEmpty(env.WARDEN_TOKEN) ?? (await readTokenFile(cwd));
  if (token === undefined) {
    throw new UsageError(
      `no token: pass --token <token>, set WARDEN_TOKEN, or run from the directory holding ${TOKEN_FILE} ` +
        '(the server writes the admin token there on its first start)',
    );
  }
  return { url, token };
}

/** `--url`, then WARDEN_URL, then the default: the server's base URL without a trailing slash. */
export function resolveUrl(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string {
  return parseUrl(nonEmpty(flag) ?? nonEmpty(env.WARDEN_URL) ?? DEFAULT_URL);
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function parseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url: "${text}" is not a URL (e.g. ${DEFAULT_URL})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--url: expected an http or https URL, got "${text}"`);
  return url.href.replace(/\/+$/, '');
}

async function readTokenFile(cwd: string): Promise<string | undefined> {
  try {
    return nonEmpty(await readFile(join(cwd, TOKEN_FILE), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read ${TOKEN_FILE}: ${(error as Error).message}`);
  }
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiClient {
  readonly url: string;
  /** The parsed JSON body of a 2xx answer (undefined when it has none); throws RequestFailed otherwise. */
  request(method: Method, path: string, body?: unknown): Promise<unknown>;
}

export function createClient(connection: Connection): ApiClient {
  return {
    url: connection.url,
    async request(method, path, body) {
      const headers: Record<string, string> = {
        authorization: `Bearer ${connection.token}`,
        accept: 'application/json',
        'user-agent': `warden-cli/${VERSION}`,
      };
      // A JSON content type with an empty body is itself an error to the server, so only with a body.
      if (body !== undefined) headers['content-type'] = 'application/json';
      let response: Response;
      try {
        response = await fetch(`${connection.url}${path}`, {
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          // Following a redirect could hand the token to another host; ask for the right --url instead.
          redirect: 'manual',
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (error) {
        throw new RequestFailed(unreachable(connection.url, error));
      }
      if (response.status >= 300 && response.status < 400) {
        const location = response.headers.get('location') ?? 'another address';
        throw new RequestFailed(
          `error: the server at ${connection.url} redirects to ${location}; pass the server's address as --url`,
        );
      }
      const text = await response.text();
      const parsed = parseJson(text);
      if (response.ok) {
        if (text.trim() === '') return undefined;
        if (parsed.ok) return parsed.value;
        throw new RequestFailed(
          `error: the server at ${connection.url} answered ${method} ${path} with something other than JSON`,
        );
      }
      throw new RequestFailed(
        serverError(connection.url, response.status, parsed.ok ? parsed.value : undefined),
      );
    },
  };
}

export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** The line to print for an error answer: the server's message and code, or what went wrong. */
export function serverError(url: string, status: number, body: unknown): string {
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  if (error === undefined || typeof error.message !== 'string') {
    return `error: the server at ${url} answered HTTP ${status} without a Warden error body (does --url point at a Warden server?)`;
  }
  const code = typeof error.code === 'string' ? error.code : `HTTP ${status}`;
  const request = typeof error.requestId === 'string' ? `, request ${error.requestId}` : '';
  return `error: ${error.message} (${code}${request})`;
}

/** The line to print when fetch failed: timed out (or aborted at `timeoutMs`), refused, unknown host. */
export function unreachable(url: string, error: unknown, timeoutMs = TIMEOUT_MS): string {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError')
    return `error: the Warden server at ${url} did not answer within ${timeoutMs / 1000}s`;
  const code = causeCode(error);
  if (code === 'ECONNREFUSED') {
    return `error: cannot connect to the Warden server at ${url}: connection refused. Is it running? Start it, or point --url (or WARDEN_URL) at it.`;
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `error: cannot connect to the Warden server at ${url}: host not found. Check --url (or WARDEN_URL).`;
  }
  const cause = (error as { cause?: unknown } | null)?.cause;
  const detail =
    cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return `error: cannot connect to the Warden server at ${url}: ${detail}`;
}

/** fetch wraps the socket error; with several addresses (::1 and 127.0.0.1) it is an AggregateError. */
function causeCode(error: unknown): string | undefined {
  let cause = (error as { cause?: unknown } | null)?.cause;
  if (cause instanceof AggregateError) cause = cause.errors[0];
  const code = (cause as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
