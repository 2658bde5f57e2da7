import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request a fake received, recorded before it is answered (wrong keys included). */
export interface RecordedRequest {
  method: string;
  /** The path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
}

/** Delays shared by both fakes (milliseconds), settable per fake and per scripted reply. */
export interface Timing {
  /** Before the status line and headers are written (time to first byte). */
  firstByteDelayMs?: number;
  /** Between two SSE events of a stream. */
  chunkDelayMs?: number;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest) => Promise<void>;

export interface RunningServer {
  origin: string;
  requests: RecordedRequest[];
  /** True once close() began: loops writing streams or waiting stop. */
  isClosed(): boolean;
  close(): Promise<void>;
}

/**
 * A bare `node:http` server on 127.0.0.1 and an ephemeral port. Every socket is tracked so close()
 * also ends hanging requests and open streams instead of waiting for them.
 */
export async function startHttpServer(handle: Handler): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const requests: RecordedRequest[] = [];
  let closed = false;
  const server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0] ?? '/',
        headers: req.headers,
        body: parseBody(text),
      };
      requests.push(recorded);
      await handle(req, res, recorded);
    })().catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`fake failed: ${String(error)}`);
      } else {
        res.destroy();
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    isClosed: () => closed,
    close: () => {
      closed = true;
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      return done;
    },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Waits `ms`, or less when the response went away (client gone or fake closed). */
export function sleep(ms: number | undefined, res: ServerResponse): Promise<void> {
  if (!ms || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    }
    res.once('close', done);
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Never answers: the request stays open until the client gives up or the fake closes. */
export function hang(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => res.once('close', () => resolve()));
}

/** Drops the connection without a byte of response: the client sees a reset socket. */
export function dropConnection(res: ServerResponse): void {
  res.socket?.destroy();
}

/** A JSON event of a stream; its `type` names the SSE `event:` where the API uses event lines. */
export interface WireEvent {
  type: string;
  [field: string]: unknown;
}

/** An SSE event as written on the wire: an optional `event:` line, one `data:` line, a blank line. */
export interface SseEvent {
  event?: string;
  data: string;
}

/**
 * Writes a `text/event-stream` response event by event with `chunkDelayMs` between events. With
 * `cutAfter`, the socket is destroyed once that many events went out (a mid-stream disconnect:
 * the chunked body never ends, so the client's reader fails).
 */
export async function writeSse(
  res: ServerResponse,
  headers: Record<string, string>,
  events: SseEvent[],
  options: { chunkDelayMs?: number; cutAfter?: number },
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...headers,
  });
  res.flushHeaders();
  for (let i = 0; i < events.length; i++) {
    if (options.cutAfter !== undefined && i >= options.cutAfter) {
      await cut(res);
      return;
    }
    if (res.destroyed) return;
    if (i > 0) await sleep(options.chunkDelayMs, res);
    if (res.destroyed) return;
    const event = events[i] as SseEvent;
    const text = `${event.event ? `event: ${event.event}\n` : ''}data: ${event.data}\n\n`;
    // Wait until the event is handed to the socket, so a cut right after it loses nothing.
    await new Promise<void>((resolve) => res.write(text, () => resolve()));
  }
  if (options.cutAfter !== undefined && options.cutAfter <= events.length) {
    await cut(res);
    return;
  }
  res.end();
}

/** Destroys the socket once what was written (the headers at least) has gone out. */
async function cut(res: ServerResponse): Promise<void> {
  const socket = res.socket;
  if (!socket || socket.destroyed) return;
  await new Promise<void>((resolve) => socket.write('', () => resolve()));
  socket.destroy();
}

/** Random id characters as the providers use them (`chatcmpl-…`, `msg_01…`, `req_…`). */
export function randomId(length = 24): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
