import { Agent, request as undiciRequest } from 'undici';
import { publicAgent } from '../../net/public-network.js';
import { type SseEvent, SseEventSplitter } from '../sse-events.js';
import { LlmProxyError } from './api-errors.js';
import type { StreamTally } from './proxy-call.js';

export interface ProviderRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly timeoutMs: number;
  /** Aborted when the agent goes away: the provider's work is stopped too. */
  readonly clientGone: AbortSignal;
  readonly provider: string;
  /** Public addresses only: a provider added through the API (see net/public-network.ts). */
  readonly publicOnly?: boolean;
}

/** A provider's answer, its body still to be read (under the request's timeout). */
export interface ProviderAnswer {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  readonly body: AsyncIterable<Uint8Array>;
  text(): Promise<string>;
  /** Reads the body to nowhere, so the connection can serve the next request. */
  discard(): Promise<void>;
}

/**
 * Connections to the providers, kept alive between calls. undici's own `request` rather than
 * `fetch`: no web streams or Response objects on every call (a quarter of fetch's CPU time, and
 * about 0.6 ms less per call on loopback). Redirects are not followed: a provider API answers.
 */
const providers = new Agent();

/**
 * Sends a request to a provider. A provider that cannot be reached is a 502, one that does not answer
 * within the provider's timeout a 504; both in the API's shape, named, never with the key.
 */
export async function sendToProvider(
  request: ProviderRequest,
): Promise<{ readonly response: ProviderAnswer; readonly timeout: AbortSignal }> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  try {
    const answer = await undiciRequest(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.any([timeout, request.clientGone]),
      dispatcher: request.publicOnly ? publicAgent : providers,
      // The provider's timeout (the signal) bounds the whole exchange, a stream included.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    const { headers, body } = answer;
    const response: ProviderAnswer = {
      status: answer.statusCode,
      ok: answer.statusCode >= 200 && answer.statusCode < 300,
      headers: {
        get(name) {
          const value = headers[name.toLowerCase()];
          return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
        },
      },
      body,
      text: () => body.text(),
      discard: () => body.dump(),
    };
    return { response, timeout };
  } catch (error) {
    throw providerFailure(request, timeout, error);
  }
}

/** What a failed exchange with the provider is for the agent: a timeout (504) or unreachable (502). */
export function providerFailure(
  request: Pick<ProviderRequest, 'provider' | 'timeoutMs'>,
  timeout: AbortSignal,
  error: unknown,
): LlmProxyError {
  if (timeout.aborted) {
    return new LlmProxyError(
      504,
      'upstream_timeout',
      `provider ${request.provider} did not answer within ${Math.round(request.timeoutMs / 1_000)} s`,
    );
  }
  // undici's own errors carry the code; fetch-style ones wrap it in `cause`.
  const cause = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  if (cause === 'EPRIVATENETWORK') {
    return new LlmProxyError(
      502,
      'upstream_unreachable',
      `provider ${request.provider} is on a private network, which providers added through the API may not reach`,
    );
  }
  return new LlmProxyError(
    502,
    'upstream_unreachable',
    `provider ${request.provider} could not be reached${cause ? ` (${cause})` : ''}`,
  );
}

/** A provider's whole answer as text, read under the request's timeout. */
export async function readText(
  response: ProviderAnswer,
  timeout: AbortSignal,
  provider: { readonly name: string; readonly timeoutMs: number },
): Promise<string> {
  try {
    return await response.text();
  } catch (error) {
    throw providerFailure({ provider: provider.name, timeoutMs: provider.timeoutMs }, timeout, error);
  }
}

/**
 * Reads a provider's event stream to its end through `tally`, handing `pass` the events the tally
 * lets through as they come: those of one chunk of the provider's stream together (one socket
 * write for the agent, not one per event), each with the blank line that ends it. A broken stream
 * throws.
 */
export async function pumpStream(
  response: ProviderAnswer,
  tally: StreamTally,
  pass: (raw: string) => void,
): Promise<void> {
  const splitter = new SseEventSplitter();
  const passOn = (events: readonly SseEvent[]) => {
    let out = '';
    for (const event of events) if (tally.see(event) === 'pass') out += `${event.raw}\n\n`;
    if (out) pass(out);
  };
  for await (const chunk of response.body) {
    passOn(splitter.push(Buffer.from(chunk)));
  }
  passOn(splitter.end());
}
