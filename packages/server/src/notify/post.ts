import { WARDEN_VERSION } from '../version.js';

const USER_AGENT = `Warden/${WARDEN_VERSION}`;

/** How much of a refusing receiver's answer is kept as the error: enough for Slack's `invalid_blocks`. */
const ERROR_BODY_CHARS = 200;

/**
 * POSTs one attempt. Resolves to null when the receiver took it (any 2xx) and to the reason otherwise;
 * never rejects. Redirects are not followed: a receiver that moved is a configuration to fix, and a
 * signed body should not travel to wherever a redirect points.
 */
export async function postAttempt(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<string | null> {
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    const target = new URL(url);
    const credentials = basicAuth(target);
    response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...credentials, ...headers },
      body,
      redirect: 'manual',
      signal,
    });
  } catch (error) {
    return describeFailure(error, timeoutMs);
  }
  if (response.status >= 200 && response.status < 300) {
    // Unread, the answer would hold its connection open. The delivery succeeded either way, so a
    // body that cannot be cancelled (already closed) is nothing to report.
    await response.body?.cancel().catch(() => {});
    return null;
  }
  const text = await response.text().catch(() => '');
  const snippet = text.trim().replace(/\s+/g, ' ').slice(0, ERROR_BODY_CHARS);
  return `HTTP ${response.status}${snippet ? `: ${snippet}` : ''}`;
}

/**
 * fetch refuses URLs with user info (`https://user:pass@host/hook`), yet receivers behind basic auth
 * are configured that way; the credentials move to an Authorization header.
 */
function basicAuth(target: URL): Record<string, string> {
  if (!target.username && !target.password) return {};
  const pair = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
  target.username = '';
  target.password = '';
  return { authorization: `Basic ${Buffer.from(pair, 'utf8').toString('base64')}` };
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  // fetch reports every network failure as "fetch failed"; the cause says which (ECONNREFUSED, ...).
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  }
  return error instanceof Error ? error.message : String(error);
}
