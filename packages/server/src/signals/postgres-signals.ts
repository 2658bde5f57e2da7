import { randomUUID } from 'node:crypto';
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
    /** Keeps tests on separate schemas of one database from hearing each other. */
    private readonly namespace: string,
  ) {
    super();
  }

  static async connect(url: string, namespace = ''): Promise<PostgresSignals> {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    pool.on('error', () => {});
    const signals = new PostgresSignals(url, pool, namespace);
    await signals.listen();
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
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    await client.connect();
    await client.query(`listen ${CHANNEL}`);
    this.client = client;
  }

  private receive(payload: string | undefined): void {
    if (!payload) return;
    let parsed: { origin?: string; namespace?: string; signal?: Signal };
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    if (parsed.origin === this.origin || parsed.namespace !== this.namespace || !parsed.signal) return;
    this.deliver(parsed.signal);
  }

  private lost(client: pg.Client): void {
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners();
    client.end().catch(() => {});
    this.reset();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.reconnectTimer = setTimeout(() => {
      this.listen().then(
        () => this.reset(),
        () => this.scheduleReconnect(),
      );
    }, RECONNECT_MS);
    this.reconnectTimer.unref();
  }

  override async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await super.close();
    await this.client?.end().catch(() => {});
    await this.pool.end();
  }
}
