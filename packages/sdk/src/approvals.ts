import { WardenRequestError } from './errors.js';
import type { ApprovalWait } from './generated/api.js';
import type { Transport } from './transport.js';

/** What the requesting agent sees of its approval request (wait and events answer the same). */
export type AgentApproval = ApprovalWait['approval'];

/** Silence on an event stream after which it counts as dead (the server's heartbeat is 15 s). */
const STREAM_IDLE_MS = 45_000;

/** The server's longest long-poll. */
const LONG_POLL_SECONDS = 60;

/**
 * Follows the request's Server-Sent Events (`GET /v1/approvals/:id/events`) until it is settled.
 * Resolves with the settled request; resolves `undefined` when the stream cannot be used (refused
 * by a proxy, not an event stream, cut before the end), so the caller falls back to long-polling.
 * A 4xx from Warden (unknown request, wrong key) is thrown: it would not answer otherwise by polling.
 */
export async function followEvents(
  transport: Transport,
  id: string,
  outer: AbortSignal,
): Promise<AgentApproval | undefined> {
  // The server sends a comment every 15 s: a stream silent for longer is dead (a proxy, a network
  // that dropped it without a word), and the wait goes on by long-polling.
  const idle = new AbortController();
  const signal = AbortSignal.any([outer, idle.signal]);
  let timer: NodeJS.Timeout | undefined;
  const alive = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(), STREAM_IDLE_MS);
  };
  let res: Response;
  try {
    alive();
    res = await transport.options.fetch(`${transport.base}/v1/approvals/${id}/events`, {
      headers: transport.headers({ accept: 'text/event-stream' }),
      signal,
    });
  } catch {
    clearTimeout(timer);
    if (outer.aborted) throw outer.reason;
    return undefined;
  }
  try {
    if (res.status >= 400 && res.status < 500) {
      const envelope = (await res.json().catch(() => undefined)) as
        | { error?: { code?: string; message?: string; requestId?: string } }
        | undefined;
      // Warden's own refusal (an unknown request, another agent's) would not change by polling;
      // anything else (a proxy's page) is a stream we cannot use.
      if (typeof envelope?.error?.code !== 'string') return undefined;
      throw new WardenRequestError(
        res.status,
        envelope.error.code,
        envelope.error.message ?? `Warden answered ${res.status}`,
        {
          ...(envelope.error.requestId ? { requestId: envelope.error.requestId } : {}),
        },
      );
    }
    if (
      res.status !== 200 ||
      !res.body ||
      !res.headers.get('content-type')?.startsWith('text/event-stream')
    ) {
      await res.body?.cancel().catch(() => {});
      return undefined;
    }
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        alive();
        buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const event = parseEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (event?.event === 'approval') {
            const approval = event.data as AgentApproval;
            if (approval.status !== 'pending') {
              await res.body.cancel().catch(() => {});
              return approval;
            }
          }
        }
      }
    } catch {
      if (outer.aborted) throw outer.reason;
    }
    // The stream ended without a settled request (a proxy cut it, the node stopped): poll instead.
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

function parseEvent(block: string): { event: string; data: unknown } | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return undefined;
  try {
    return { event, data: JSON.parse(data.join('\n')) as unknown };
  } catch {
    return undefined;
  }
}

/** Long-polls `GET /v1/approvals/:id/wait` until the request is settled. */
export async function longPoll(
  transport: Transport,
  id: string,
  signal: AbortSignal,
): Promise<AgentApproval> {
  for (;;) {
    const { body } = await transport.json<ApprovalWait>({
      method: 'GET',
      path: `/v1/approvals/${id}/wait?timeoutSeconds=${LONG_POLL_SECONDS}`,
      signal,
      timeoutMs: (LONG_POLL_SECONDS + 15) * 1000,
    });
    if (!body.timedOut && body.approval.status !== 'pending') return body.approval;
  }
}
