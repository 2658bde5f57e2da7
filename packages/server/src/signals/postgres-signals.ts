import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';
import { LocalSignals, type Signal } from './signals.js';

const CHANNEL = 'warden_signals';
const RECONNECT_MS = 500;

/**
 * Signals over PostgreSQL LISTEN/NOTIFY: one dedicated connection listens; publishing applies the
 * signal here at once and NOTIFYs the others. A node ignores its own notifications. When the
 * listening connection drops, the node resets its caches (signals may have been lost) and reconnects.
 */
export class PostgresSignals extends LocalSignals {
  private readonly origin = randomUUID();
  private client: pg.Client | undefined;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly url: string,
    private readonly pool: pg.Pool,
    private readonly log: FastifyBaseLogger,
    /** Keeps tests on separate schemas of one database from hearing each other. */
    private readonly namespace: string,
  ) {
    super();
  }

  static async connect(url: string, log: FastifyBaseLogger, namespace = ''): Promise<PostgresSignals> {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    // An idle publishing connection that breaks is replaced on the next publish; without a listener
    // its error would crash the process.
    pool.on('error', (error) => log.warn({ err: error }, 'signals: an idle publishing connection failed'));
    const signals = new PostgresSignals(url, pool, log, namespace);
    try {
      await signals.listen();
    } catch (error) {
      await pool.end();
      throw error;
    }
    return signals;
  }

  override async publish(signal: Signal): Promise<void> {
    this.deliver(signal);
    const message = JSON.stringify({ origin: this.origin, namespace: this.namespace, signal });
    await this.pool.query('select pg_notify($1, $2)', [CHANNEL, message]);
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (message) => this.receive(message.payload));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`listen ${CHANNEL}`);
    } catch (error) {
      client.removeAllListeners();
      // The connect's error is the one to report; this only releases a half-open connection.
      await client.end().catch(() => {});
      throw error;
    }
    this.client = client;
  }

  private receive(payload: string | undefined): void {
    if (!payload) return;
    let parsed: { origin?: string; namespace?: string; signal?: Signal };
    try {
      parsed = JSON.parse(payload);
    } catch {
      // Not a notification a Warden node sent on this channel.
      return;
    }
    if (parsed.origin === this.origin || parsed.namespace !== this.namespace || !parsed.signal) return;
    this.deliver(parsed.signal);
  }

  private lost(client: pg.Client, error?: Error): void {
    if (this.closed || this.client !== client) return;
    this.log.warn({ err: error }, 'signals: the listening connection was lost; caches reset, reconnecting');
    this.client = undefined;
    client.removeAllListeners();
    // The connection is already broken; ending it only releases what is left of it.
    client.end().catch(() => {});
    this.reset();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.reconnectTimer = setTimeout(() => {
      this.listen().then(
        () => {
          this.log.info('signals: listening again');
          this.reset();
        },
        (error: unknown) => {
          this.log.warn({ err: error }, 'signals: reconnecting failed; retrying');
          this.scheduleReconnect();
        },
      );
    }, RECONNECT_MS);
    this.reconnectTimer.unref();
  }

  override async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await super.close();
    // A listening connection that broke just now has nothing left to close.
    await this.client?.end().catch(() => {});
    await this.pool.end();
  }
}
