import { publicFetch } from '../../net/public-network.js';
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

/**
 * Sends a request to a provider. A provider that cannot be reached is a 502, one that does not answer
 * within the provider's timeout a 504; both in the API's shape, named, never with the key.
 */
export async function sendToProvider(
  request: ProviderRequest,
): Promise<{ readonly response: Response; readonly timeout: AbortSignal }> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  try {
    const send = request.publicOnly ? publicFetch : fetch;
    const response = await send(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.any([timeout, request.clientGone]),
    });
    // The timeout also covers reading the body (a stream): the caller reads it under the same signal.
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
  const cause = (error as { cause?: { code?: string } }).cause?.code;
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
  response: Response,
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
  response: Response,
  tally: StreamTally,
  pass: (raw: string) => void,
): Promise<void> {
  if (!response.body) throw new Error('no body');
  const splitter = new SseEventSplitter();
  const passOn = (events: readonly SseEvent[]) => {
    let out = '';
    for (const event of events) if (tally.see(event) === 'pass') out += `${event.raw}\n\n`;
    if (out) pass(out);
  };
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    passOn(splitter.push(Buffer.from(chunk)));
  }
  passOn(splitter.end());
}
