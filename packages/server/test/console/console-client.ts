import type { WardenNode } from '../../src/main.js';

/** A browser's view of the console: the session cookie it holds and the CSRF token it keeps in memory. */
export interface Browser {
  readonly cookie: string;
  readonly csrfToken: string;
  readonly sessionId: string;
}

/** The `warden_session=…` pair from a response's Set-Cookie, or undefined. */
export function sessionCookieOf(setCookie: string | string[] | undefined): string | undefined {
  for (const header of [setCookie ?? []].flat()) {
    const match = /^warden_session=([^;]*)/.exec(header);
    if (match) return match[1];
  }
  return undefined;
}

/** Signs in with a token or a code, as the console does; throws unless it worked. */
export async function signIn(node: WardenNode, body: { token: string } | { code: string }): Promise<Browser> {
  const res = await node.app.inject({ method: 'POST', url: '/v1/console/sign-in', payload: body });
  if (res.statusCode !== 200) throw new Error(`sign-in: ${res.statusCode} ${res.body}`);
  const cookie = sessionCookieOf(res.headers['set-cookie']);
  if (!cookie) throw new Error('sign-in set no cookie');
  const json = res.json();
  return { cookie, csrfToken: json.csrfToken, sessionId: json.session.id };
}

/** A request carrying the browser's cookie, and its CSRF header unless `csrf` is false or a string. */
export function browse(
  node: WardenNode,
  browser: Pick<Browser, 'cookie' | 'csrfToken'>,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  url: string,
  options: { payload?: object; csrf?: boolean | string } = {},
) {
  const csrf = options.csrf === undefined || options.csrf === true ? browser.csrfToken : options.csrf;
  return node.app.inject({
    method,
    url,
    headers: {
      cookie: `warden_session=${browser.cookie}`,
      ...(typeof csrf === 'string' ? { 'x-warden-csrf': csrf } : {}),
    },
    ...(options.payload ? { payload: options.payload } : {}),
  });
}
