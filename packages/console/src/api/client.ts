/**
 * The console's only way to the node: JSON over fetch, same origin, with the session cookie.
 *
 * - Reads send nothing but the cookie. Writes also send `X-Warden-CSRF` with the token the session
 *   answered (kept in memory only, never in storage: a reload reads it again from the session).
 * - Every error answer has the envelope `{error: {code, message, details}}`; it becomes an `ApiError`
 *   whose `fieldErrors` map the field the API named (`body.comment` → `comment`) to its message, so a
 *   form can show the error where the field is.
 * - A 401 on any call but sign-in means the session is gone: the registered handler sends the human
 *   back to the sign-in page.
 */

export interface ErrorEnvelope {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly requestId?: string;
    readonly details?: Record<string, unknown>;
  };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The field the API named (`body.x.y`, `querystring.from`) without its location, mapped to the message. */
  get fieldErrors(): Record<string, string> {
    const field = this.details.field;
    if (typeof field !== 'string') return {};
    return { [field.replace(/^(body|querystring|params)\.?/, '') || field]: this.message };
  }

  get forbidden(): boolean {
    return this.status === 403;
  }
}

let csrfToken: string | null = null;
let onUnauthenticated: () => void = () => {};

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export type Query = Record<string, string | number | boolean | null | undefined>;

/** `path?query`, leaving out empty values so filters the human did not set are not sent. */
export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function call<T>(method: Method, path: string, body?: unknown, quiet401 = false): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-warden-csrf'] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const json: unknown = text ? safeJson(text) : undefined;
  if (!response.ok) {
    const envelope = isEnvelope(json) ? json.error : undefined;
    const error = new ApiError(
      response.status,
      envelope?.code ?? 'http_error',
      envelope?.message ?? `${response.status} ${response.statusText}`,
      envelope?.details ?? {},
    );
    if (response.status === 401 && !quiet401) onUnauthenticated();
    throw error;
  }
  return json as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isEnvelope(value: unknown): value is ErrorEnvelope {
  return (
    typeof value === 'object' &&
    value !== null &&
    'error' in value &&
    typeof (value as ErrorEnvelope).error?.code === 'string'
  );
}

export const api = {
  get: <T>(path: string, query?: Query) => call<T>('GET', withQuery(path, query)),
  post: <T>(path: string, body: unknown = {}) => call<T>('POST', path, body),
  patch: <T>(path: string, body: unknown) => call<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => call<T>('PUT', path, body),
  delete: <T>(path: string) => call<T>('DELETE', path),
  /** Calls whose 401 is an answer, not a lost session (signing in, asking whether there is a session). */
  quiet: {
    get: <T>(path: string) => call<T>('GET', path, undefined, true),
    post: <T>(path: string, body: unknown = {}) => call<T>('POST', path, body, true),
  },
};
