import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signStepUp, verifyStepUp } from '../../src/stepup/hook-signature.js';

/** A re-authentication request as the product receives it, with whether Warden's signature held. */
export interface ReceivedStepUp {
  readonly body: Record<string, unknown>;
  readonly raw: string;
  readonly signatureValid: boolean;
}

/**
 * A small stand-in for a product's sign-in: it takes Warden's signed re-authentication requests
 * over HTTP (checking the signature as a real product would) and can answer with a confirmation
 * signed the same way. `failFirst` makes it refuse that many deliveries first.
 */
export class FakeProduct {
  readonly received: ReceivedStepUp[] = [];
  private waiters: (() => void)[] = [];
  private server: Server | undefined;
  failFirst = 0;

  constructor(readonly secret: string) {}

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => {
        raw += chunk.toString('utf8');
      });
      req.on('end', () => {
        if (this.failFirst > 0) {
          this.failFirst--;
          res.writeHead(503).end('busy');
          return;
        }
        const header = req.headers['warden-signature'];
        const signatureValid = verifyStepUp(
          this.secret,
          raw,
          typeof header === 'string' ? header : undefined,
          Date.now(),
        ).ok;
        this.received.push({ body: JSON.parse(raw) as Record<string, unknown>, raw, signatureValid });
        res.writeHead(204).end();
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/step-up`;
  }

  /** Waits until `count` requests have arrived. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<ReceivedStepUp> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > deadline)
        throw new Error(`the product received ${this.received.length} of ${count} requests`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
    return this.received[count - 1] as ReceivedStepUp;
  }

  /** The confirmation a product sends after signing its user in again, signed at `atMs`. */
  confirmation(
    request: Record<string, unknown>,
    verdict: 'approve' | 'deny' = 'approve',
    options: { atMs?: number; secret?: string; override?: Record<string, unknown> } = {},
  ): { body: string; signature: string } {
    const body = JSON.stringify({
      requestId: request.requestId,
      approvalId: request.approvalId,
      subject: request.subject,
      actionDigest: request.actionDigest,
      verdict,
      comment: 'customer signed in again and confirmed',
      ...options.override,
    });
    const at = Math.floor((options.atMs ?? Date.now()) / 1000);
    return { body, signature: signStepUp(options.secret ?? this.secret, body, at) };
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
