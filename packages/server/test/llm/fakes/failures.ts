import type { ServerResponse } from 'node:http';
import { dropConnection, hang, type SseEvent } from './http-kit.js';
import type { ScriptedFailure } from './script.js';

const GARBAGE = '<html><head><title>502 Bad Gateway</title></head><body>upstream hiccup</body></html>';

/**
 * Answers a scripted failure that happens before any reply (a status, garbage, a hang, or a dropped
 * connection for a request that does not stream). `errorBody` builds the API's own error body and
 * `headers` are the API's usual response headers. Returns false for a `disconnect` or a
 * `stream-error` of a stream, which the caller applies while streaming.
 */
export async function answerFailure(
  res: ServerResponse,
  failure: ScriptedFailure,
  streaming: boolean,
  errorBody: (failure: Extract<ScriptedFailure, { kind: 'status' }>) => unknown,
  headers: Record<string, string>,
): Promise<boolean> {
  switch (failure.kind) {
    case 'status': {
      const text = JSON.stringify(errorBody(failure));
      const extra: Record<string, string> =
        failure.status === 429 || failure.retryAfterSeconds !== undefined
          ? { 'retry-after': String(failure.retryAfterSeconds ?? 1) }
          : {};
      res.writeHead(failure.status, {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(text)),
        ...headers,
        ...extra,
      });
      res.end(text);
      return true;
    }
    case 'garbage': {
      const body = failure.body ?? GARBAGE;
      res.writeHead(failure.status ?? 200, {
        'content-type': failure.contentType ?? 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        ...headers,
      });
      res.end(body);
      return true;
    }
    case 'hang':
      await hang(res);
      return true;
    case 'disconnect':
      if (streaming) return false;
      dropConnection(res);
      return true;
    case 'stream-error': {
      if (streaming) return false;
      const status = failure.type === 'overloaded_error' ? 529 : 500;
      return answerFailure(
        res,
        { kind: 'status', status, type: failure.type, message: failure.message },
        streaming,
        errorBody,
        headers,
      );
    }
  }
}

/**
 * For a `stream-error` reply, the first `afterChunks` events then the API's error event (built by
 * `errorEvent` from its position); other replies keep their events.
 */
export function withStreamError(
  events: SseEvent[],
  reply: { fail?: ScriptedFailure },
  errorEvent: (at: number) => SseEvent,
): SseEvent[] {
  if (reply.fail?.kind !== 'stream-error') return events;
  const kept = events.slice(0, reply.fail.afterChunks);
  return [...kept, errorEvent(kept.length)];
}
