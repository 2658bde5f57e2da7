import { SdkError, SdkErrorCode, SdkHttpError } from '@modelcontextprotocol/client';
import { isRecord, parseJson, unreachable } from '../http-client.js';

/**
 * One line saying why the gateway at `endpoint` could not be used (it refused the key, has no such
 * server, cannot be reached, did not answer), for stderr at start and for the desktop client's
 * error afterwards. It names the cause, never the key.
 */
export function gatewayFailure(endpoint: string, error: unknown): string {
  if (error instanceof SdkHttpError) return httpFailure(endpoint, error.status, error.data.text);
  if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout)
    return `the Warden gateway at ${endpoint} did not answer in time`;
  const network = fetchFailure(error);
  // The same wording as every other command's, which names the socket error and what to check.
  if (network) return unreachable(endpoint, network).replace(/^error: /, '');
  const message = error instanceof Error ? error.message : String(error);
  return `the Warden gateway at ${endpoint} could not be used: ${message}`;
}

function httpFailure(endpoint: string, status: number, text: unknown): string {
  const parsed = typeof text === 'string' ? parseJson(text) : { ok: false as const };
  const error = parsed.ok && isRecord(parsed.value) ? parsed.value.error : undefined;
  const said = isRecord(error) && typeof error.message === 'string' ? error : undefined;
  const detail = said
    ? `${said.message}${typeof said.code === 'string' ? ` (${said.code})` : ''}`
    : undefined;
  if (status === 401 || status === 403) {
    return (
      `the Warden gateway at ${endpoint} refused WARDEN_AGENT_KEY (HTTP ${status}${detail ? `: ${detail}` : ''}); ` +
      'use a current agent key (wdn_a_…) of an active agent'
    );
  }
  if (detail) return `the Warden gateway at ${endpoint} answered HTTP ${status}: ${detail}`;
  return `the server at ${endpoint} answered HTTP ${status} without a Warden error body (does WARDEN_URL point at a Warden server?)`;
}

/** fetch's own failure (`TypeError: fetch failed`, the socket error as its cause), wherever the SDK wrapped it. */
function fetchFailure(error: unknown): Error | undefined {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    if (current instanceof TypeError && current.cause !== undefined) return current;
    current = current.cause;
  }
  return undefined;
}
