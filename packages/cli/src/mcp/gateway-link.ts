import { Client, ProtocolError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { VERSION } from '../version.js';
import { gatewayFailure } from './gateway-failure.js';

export interface GatewayLinkOptions {
  /** `<WARDEN_URL>/mcp` or `<WARDEN_URL>/mcp/<server>`. */
  readonly endpoint: URL;
  /** The agent's key (`wdn_a_…`), sent as a bearer token and nowhere else. */
  readonly key: string;
  /** The gateway said its tool list changed, or a new connection replaced a lost one (it may have). */
  readonly onToolsChanged: () => void;
  /** One line for stderr: the bridge's diagnostics never go to stdout, which carries the protocol. */
  readonly warn: (line: string) => void;
}

/** The gateway could not be used; the message names why, in one line, without the key. */
export class GatewayUnavailable extends Error {
  override readonly name = 'GatewayUnavailable';
}

interface Connection {
  readonly client: Client;
  /** Requests running on it: a dropped connection is closed once they have settled. */
  inFlight: number;
  dropped: boolean;
}

/**
 * The bridge's connection to Warden's MCP gateway: one SDK `Client` over Streamable HTTP, negotiating
 * the newest era the gateway serves (2026-07-28, stateless, with a `subscriptions/listen` stream for
 * `tools/list_changed`; a 2025-era session against an older gateway).
 *
 * A connection that fails (the gateway restarted, the network dropped, the listen stream ended) is
 * dropped and the next request opens a new one, so a desktop client that outlives a gateway restart
 * keeps working once the gateway is back. Requests are not retried: a failed one is answered with its
 * cause, and the model decides what to do.
 */
export class GatewayLink {
  private connecting: Promise<Connection> | undefined;
  private live: Connection | undefined;
  private connectedBefore = false;
  private lastInstructions: string | undefined;
  private closing = false;

  constructor(private readonly options: GatewayLinkOptions) {}

  get endpoint(): string {
    return this.options.endpoint.href;
  }

  /** The gateway's instructions for the model (how refusals and approvals read), once connected. */
  get instructions(): string | undefined {
    return this.lastInstructions;
  }

  /** Connects unless connected; throws GatewayUnavailable when the gateway cannot be used. */
  async connect(): Promise<void> {
    await this.connection();
  }

  /**
   * Runs one request on the connection. The gateway's own answers (a JSON-RPC error such as an unknown
   * tool) pass through unchanged; any other failure drops the connection and is thrown as
   * GatewayUnavailable naming the cause. A request the caller cancelled is rethrown as it is.
   */
  async use<T>(run: (client: Client) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const connection = await this.connection();
    connection.inFlight += 1;
    try {
      return await run(connection.client);
    } catch (error) {
      if (error instanceof ProtocolError || signal?.aborted) throw error;
      const cause = gatewayFailure(this.endpoint, error);
      this.drop(connection, cause);
      throw new GatewayUnavailable(cause);
    } finally {
      connection.inFlight -= 1;
      if (connection.dropped && connection.inFlight === 0) void connection.client.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    const client = this.live?.client;
    this.live = undefined;
    this.connecting = undefined;
    await client?.close().catch(() => {});
  }

  private connection(): Promise<Connection> {
    if (this.closing) return Promise.reject(new GatewayUnavailable('the bridge is shutting down'));
    if (!this.connecting) {
      const attempt = this.open();
      this.connecting = attempt;
      attempt.catch(() => {
        if (this.connecting === attempt) this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private async open(): Promise<Connection> {
    const client = new Client(
      { name: 'warden-mcp-connect', version: VERSION },
      {
        versionNegotiation: { mode: 'auto' },
        listChanged: { tools: { autoRefresh: false, onChanged: () => this.options.onToolsChanged() } },
      },
    );
    // Errors of requests reach their callers; this would only repeat them.
    client.onerror = () => {};
    const transport = new StreamableHTTPClientTransport(this.options.endpoint, {
      requestInit: { headers: { authorization: `Bearer ${this.options.key}` } },
    });
    try {
      await client.connect(transport);
    } catch (error) {
      await client.close().catch(() => {});
      throw new GatewayUnavailable(gatewayFailure(this.endpoint, error));
    }
    const connection: Connection = { client, inFlight: 0, dropped: false };
    this.live = connection;
    this.lastInstructions = client.getInstructions() ?? this.lastInstructions;
    // Without the listen stream no list_changed arrives: that connection is as good as lost.
    void client.autoOpenedSubscription?.closed.then((how) => {
      if (how !== 'local') this.drop(connection, 'the gateway ended the tools/list_changed stream');
    });
    if (this.connectedBefore) {
      this.options.warn(`reconnected to the Warden gateway at ${this.endpoint}`);
      // Whatever changed while the connection was down was never announced.
      this.options.onToolsChanged();
    }
    this.connectedBefore = true;
    return connection;
  }

  /** Forgets the connection, so the next request opens a new one; calls still running on it finish. */
  private drop(connection: Connection, reason: string): void {
    if (this.live !== connection || this.closing) return;
    this.live = undefined;
    this.connecting = undefined;
    connection.dropped = true;
    this.options.warn(
      `lost the Warden gateway at ${this.endpoint} (${reason}); the next request connects again`,
    );
    if (connection.inFlight === 0) void connection.client.close().catch(() => {});
  }
}
