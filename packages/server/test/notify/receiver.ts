import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { Notification } from '../../src/notify/notifier.js';

export interface Received {
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What the receiver answers to the nth request (from 1); `hang` never answers. */
export type Answer = number | { status: number; body: string } | 'hang';

/** A local HTTP receiver standing in for a customer's webhook endpoint or Slack. */
export class Receiver {
  readonly received: Received[] = [];
  answer: (request: Received, n: number) => Answer = () => 200;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(path = '/hooks/warden'): Promise<Receiver> {
    let receiver: Receiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (!receiver) return;
        const request = {
          method: req.method,
          path: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        receiver.received.push(request);
        const answer = receiver.answer(request, receiver.received.length);
        if (answer === 'hang') return;
        if (typeof answer === 'number') res.writeHead(answer).end();
        else res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new Receiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`);
    return receiver;
  }

  /** The attempts of one delivery, by their `warden-attempt` header. */
  attemptsOf(deliveryId: string): number[] {
    return this.received
      .filter((r) => r.headers['warden-delivery'] === deliveryId)
      .map((r) => Number(r.headers['warden-attempt']));
  }

  reset(): void {
    this.received.length = 0;
    this.answer = () => 200;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A URL where nothing listens: connections are refused. */
export async function refusingUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return url;
}

/**
 * Checks a `t=..,v1=..` signature the way a receiver would: HMAC over "<t>.<body>", compared in
 * constant time, and the timestamp within `toleranceSeconds` of the receiver's clock.
 */
export function verifySignature(
  header: string | string[] | undefined,
  body: string,
  secret: string,
  nowSeconds = Date.now() / 1000,
  toleranceSeconds = 300,
): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(header));
  if (!match?.[1] || !match[2]) return false;
  const timestamp = Number(match[1]);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest();
  const given = Buffer.from(match[2], 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A logger that keeps its lines, to see failures reported instead of thrown. */
export function recordingLogger() {
  const lines: { level: number; msg: string; [key: string]: unknown }[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

let serial = 0;

/** A notification for `tenantId`, distinct from the previous one. */
export function sampleNotification(tenantId: string, extra: Partial<Notification> = {}): Notification {
  serial++;
  return {
    type: 'approval.request',
    tenantId,
    recipient: {
      humanId: `usr_01h00000000000000000000${serial % 10}`,
      email: `approver${serial}@example.test`,
    },
    subject: { type: 'approval', id: 'apr_01h0000000000000000000000' },
    summary: `support-bot asks to run payments.refund (#${serial})`,
    data: { tool: 'payments.refund', serial },
    at: 1_700_000_000_000 + serial,
    ...extra,
  };
}

/** Polls `check` until it holds or `timeoutMs` passes. */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
