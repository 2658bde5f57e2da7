import { AsyncLocalStorage } from 'node:async_hooks';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type {
  CallToolResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  Tool,
} from '@modelcontextprotocol/server';
import { publicFetch } from '../net/public-network.js';
import { WARDEN_VERSION } from '../version.js';

/**
 * The W3C trace headers of the call being sent: an HTTP upstream's requests carry them as headers
 * too (stdio ones only in `_meta`). Set around one call, read by the transport's fetch.
 */
const callTraceHeaders = new AsyncLocalStorage<Record<string, string>>();

/** `send` with the headers of the call being sent, if any. */
function withTraceHeaders(send: typeof fetch): typeof fetch {
  return (input, init) => {
    const trace = callTraceHeaders.getStore();
    if (!trace) return send(input, init);
    const headers = new Headers(init?.headers);
    for (const [name, value] of Object.entries(trace)) headers.set(name, value);
    return send(input, { ...init, headers });
  };
}

const fetchWithTrace = withTraceHeaders(fetch);
/** For servers added through the API: public addresses only (net/public-network.ts). */
const publicFetchWithTrace = withTraceHeaders(publicFetch);

import { resolveValues, type SecretSources } from './secrets.js';
import type { ServerEntry } from './server-entry.js';
import { answerUpstreamAsks, clientCapabilities, type InFlight, type RelayTarget } from './upstream-asks.js';

/** The most tools (or resources, or prompts) one upstream may list; the rest are dropped (and logged). */
export const MAX_UPSTREAM_ITEMS = 1_000;
/** MCP's tool-name characters. A name outside them cannot become a Warden tool name. */
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
/** The largest message an upstream may send over stdio; a larger one closes it as broken. */
const MAX_STDIO_MESSAGE = 8 * 1024 * 1024;
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 60_000;
/** Up this long, an upstream's next crash starts its backoff from the beginning again. */
const STABLE_MS = 30_000;

export interface UpstreamLog {
  warn(details: Record<string, unknown>, message: string): void;
  debug(details: Record<string, unknown>, message: string): void;
}

export interface UpstreamDeps {
  readonly log: UpstreamLog;
  /** Told when the upstream's tool list changed (its notification, or a restart). */
  readonly onToolsChanged: () => void;
  /** The node's environment and the sealed store, for the entry's secrets. */
  readonly secrets: SecretSources;
  readonly clock?: () => number;
  /**
   * The one agent this connection serves (entries that relay sampling or elicitation): started by
   * that agent's calls only, not again in the background after a crash.
   */
  readonly agentId?: string;
}

type ListKind = 'tools' | 'resources' | 'prompts';
type Pager<T> = (
  client: Client,
  cursor: string | undefined,
) => Promise<{ items: T[]; next?: string | undefined }>;

export type UpstreamState = 'idle' | 'starting' | 'ready' | 'backoff' | 'closed';

/** An upstream failure the gateway reports to the agent as the call's error (never a secret). */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
}

interface Connection {
  readonly client: Client;
  readonly since: number;
}

/**
 * One upstream MCP server, connected on first use and supervised: when it dies the calls in flight
 * fail with the reason, and it is started again after a backoff that doubles on each crash (up to a
 * minute) and resets once it has stayed up. Its tool list is cached until it says the list changed.
 */
export class Upstream {
  private connection: Promise<Connection> | undefined;
  /** The cached lists, by what they list; dropped on the upstream's list_changed and on a crash. */
  private readonly lists = new Map<ListKind, Promise<readonly unknown[]>>();
  private state: UpstreamState = 'idle';
  private backoffMs = FIRST_BACKOFF_MS;
  private retryAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private lastError: string | undefined;
  private restarts = 0;
  private readonly clock: () => number;
  /** Warden's requests on this connection now: where a relayed upstream request may belong. */
  private readonly inFlight = new Set<InFlight>();

  constructor(
    readonly entry: ServerEntry,
    private readonly deps: UpstreamDeps,
  ) {
    this.clock = deps.clock ?? Date.now;
  }

  get name(): string {
    return this.entry.name;
  }

  /** How many requests of Warden's this connection is serving now. */
  get busy(): number {
    return this.inFlight.size;
  }

  status(): { state: UpstreamState; restarts: number; lastError?: string } {
    return {
      state: this.state,
      restarts: this.restarts,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /** The upstream's tools as it lists them (names unprefixed), from the cache when it has them. */
  tools(): Promise<readonly Tool[]> {
    return this.cachedList('tools', async (client, cursor) => {
      const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: this.entry.timeoutMs });
      return { items: page.tools, next: page.nextCursor };
    });
  }

  /** The upstream's resources (if it serves any), from the cache when it has them. */
  resources(): Promise<readonly Resource[]> {
    return this.cachedList('resources', async (client, cursor) => {
      const page = await client.listResources(cursor ? { cursor } : undefined, {
        timeout: this.entry.timeoutMs,
      });
      return { items: page.resources, next: page.nextCursor };
    });
  }

  /** The upstream's prompts (if it serves any), from the cache when it has them. */
  prompts(): Promise<readonly Prompt[]> {
    return this.cachedList('prompts', async (client, cursor) => {
      const page = await client.listPrompts(cursor ? { cursor } : undefined, {
        timeout: this.entry.timeoutMs,
      });
      return { items: page.prompts, next: page.nextCursor };
    });
  }

  readResource(uri: string, signal?: AbortSignal): Promise<ReadResourceResult> {
    return this.use((client) =>
      client.readResource({ uri }, { timeout: this.entry.timeoutMs, ...(signal ? { signal } : {}) }),
    );
  }

  getPrompt(
    name: string,
    args: Record<string, string> | undefined,
    signal?: AbortSignal,
  ): Promise<GetPromptResult> {
    return this.use((client) =>
      client.getPrompt(
        { name, ...(args ? { arguments: args } : {}) },
        { timeout: this.entry.timeoutMs, ...(signal ? { signal } : {}) },
      ),
    );
  }

  callTool(
    name: string,
    args: Record<string, unknown> | undefined,
    options: {
      signal?: AbortSignal;
      onProgress?: (progress: number, total?: number) => void;
      /** Where the upstream's sampling and elicitation requests during this call go (if allowed). */
      relay?: RelayTarget;
      /** `_meta` of the request: the W3C trace context it is part of. */
      meta?: Record<string, string> | undefined;
    } = {},
  ): Promise<CallToolResult> {
    const meta = options.meta;
    return this.use(
      async (client) =>
        (await callTraceHeaders.run(meta ?? {}, () =>
          client.callTool(
            { name, ...(args ? { arguments: args } : {}), ...(options.meta ? { _meta: options.meta } : {}) },
            {
              timeout: this.entry.timeoutMs,
              ...(options.signal ? { signal: options.signal } : {}),
              ...(options.onProgress
                ? {
                    onprogress: (p: { progress: number; total?: number }) =>
                      options.onProgress?.(p.progress, p.total),
                    resetTimeoutOnProgress: false,
                  }
                : {}),
            },
          ),
        )) as CallToolResult,
      options.relay,
    );
  }

  async close(): Promise<void> {
    this.state = 'closed';
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const connection = this.connection;
    this.connection = undefined;
    this.lists.clear();
    if (connection) await (await connection.catch(() => undefined))?.client.close();
  }

  /** Runs one request on the connection, its failure explained (which upstream, what happened). */
  private async use<T>(request: (client: Client) => Promise<T>, relay?: RelayTarget): Promise<T> {
    const inFlight: InFlight = relay ? { relay } : {};
    this.inFlight.add(inFlight);
    try {
      const { client } = await this.connect();
      return await request(client);
    } catch (error) {
      throw this.explain(error);
    } finally {
      this.inFlight.delete(inFlight);
    }
  }

  /** A list from the cache, or listed now (and forgotten again if listing fails). */
  private cachedList<T>(kind: ListKind, page: Pager<T>): Promise<readonly T[]> {
    let list = this.lists.get(kind) as Promise<readonly T[]> | undefined;
    if (!list) {
      list = this.listAll(kind, page);
      this.lists.set(kind, list);
      list.catch(() => this.lists.delete(kind));
    }
    return list;
  }

  /**
   * Every page of a list the upstream serves, up to MAX_UPSTREAM_ITEMS; none when it does not declare
   * the capability (a server of tools only has no resources). Tools whose names MCP does not allow
   * cannot become Warden tool names, so they are dropped, and logged like an overlong list.
   */
  private async listAll<T>(kind: ListKind, page: Pager<T>): Promise<readonly T[]> {
    const { client } = await this.connect();
    if (!client.getServerCapabilities()?.[kind]) return [];
    const items: T[] = [];
    let cursor: string | undefined;
    try {
      do {
        const { items: got, next } = await page(client, cursor);
        for (const item of got) {
          const name = (item as { name?: unknown }).name;
          if (kind === 'tools' && (typeof name !== 'string' || !TOOL_NAME.test(name))) {
            this.deps.log.warn(
              { server: this.name, tool: String(name).slice(0, 200) },
              'upstream tool name refused',
            );
            continue;
          }
          if (items.length === MAX_UPSTREAM_ITEMS) {
            this.deps.log.warn(
              { server: this.name, kind, max: MAX_UPSTREAM_ITEMS },
              'upstream list too long; the rest are dropped',
            );
            return items;
          }
          items.push(item);
        }
        cursor = next;
      } while (cursor);
    } catch (error) {
      throw this.explain(error);
    }
    return items;
  }

  private connect(): Promise<Connection> {
    if (this.state === 'closed')
      return Promise.reject(new UpstreamError(`upstream ${this.name} is shut down`));
    if (this.connection) return this.connection;
    const now = this.clock();
    if (now < this.retryAt) {
      const seconds = Math.ceil((this.retryAt - now) / 1_000);
      return Promise.reject(
        new UpstreamError(
          `upstream ${this.name} is restarting after a failure (${this.lastError ?? 'unknown'}); try again in ${seconds} s`,
        ),
      );
    }
    this.state = 'starting';
    const connection = this.open().then(
      (opened) => {
        this.state = 'ready';
        return opened;
      },
      (error: unknown) => {
        this.failed(error instanceof Error ? error.message : String(error));
        throw new UpstreamError(`upstream ${this.name} could not be started: ${this.lastError}`);
      },
    );
    this.connection = connection;
    return connection;
  }

  private async open(): Promise<Connection> {
    const { entry } = this;
    const client = new Client(
      { name: 'warden-gateway', version: WARDEN_VERSION },
      { capabilities: clientCapabilities(entry) },
    );
    answerUpstreamAsks(client, {
      entry,
      log: this.deps.log,
      inFlight: () => [...this.inFlight],
      ...(this.deps.agentId ? { agentId: this.deps.agentId } : {}),
    });
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      this.lists.delete('tools');
      this.deps.onToolsChanged();
    });
    client.setNotificationHandler('notifications/resources/list_changed', () => {
      this.lists.delete('resources');
    });
    client.setNotificationHandler('notifications/prompts/list_changed', () => {
      this.lists.delete('prompts');
    });
    const transport = await this.transport();
    let opened = false;
    client.onclose = () => {
      // A close we did not ask for: the calls in flight have failed with it; start again later.
      if (opened && this.state !== 'closed') this.crashed(this.exitReason ?? 'the connection closed');
    };
    await client.connect(transport, { timeout: this.entry.timeoutMs });
    opened = true;
    return { client, since: this.clock() };
  }

  private exitReason: string | undefined;

  private async transport() {
    const { entry } = this;
    this.exitReason = undefined;
    if (entry.transport === 'http') {
      const headers = await resolveValues(entry.headers, entry.name, 'headers', this.deps.secrets);
      return new StreamableHTTPClientTransport(new URL(entry.url), {
        requestInit: { headers },
        fetch: entry.publicOnly ? publicFetchWithTrace : fetchWithTrace,
      });
    }
    const env = {
      ...getDefaultEnvironment(),
      ...(await resolveValues(entry.env, entry.name, 'env', this.deps.secrets)),
    };
    const transport = new StdioClientTransport({
      command: entry.command,
      args: [...entry.args],
      env,
      ...(entry.cwd ? { cwd: entry.cwd } : {}),
      stderr: 'pipe',
      maxBufferSize: MAX_STDIO_MESSAGE,
    });
    // The upstream's own diagnostics: kept out of the node's output (they may echo its secrets), at debug.
    transport.stderr?.on('data', (chunk: Buffer) =>
      this.deps.log.debug(
        { server: entry.name, stderr: chunk.toString('utf8').slice(0, 2_000) },
        'upstream stderr',
      ),
    );
    transport.onerror = (error) => {
      this.exitReason = error.message;
    };
    return transport;
  }

  private crashed(reason: string): void {
    const connection = this.connection;
    this.connection = undefined;
    this.lists.clear();
    void connection?.then(
      (c) => {
        // Up long enough: this crash starts the backoff from the beginning.
        if (this.clock() - c.since >= STABLE_MS) this.backoffMs = FIRST_BACKOFF_MS;
      },
      () => {},
    );
    this.failed(reason);
    this.restarts += 1;
    if (this.deps.agentId) return;
    // Started again in the background, so its tools come back without waiting for a call.
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.state !== 'backoff') return;
      this.tools().then(
        () => this.deps.onToolsChanged(),
        () => {},
      );
    }, this.retryAt - this.clock());
    this.restartTimer.unref();
  }

  private failed(reason: string): void {
    this.state = 'backoff';
    this.connection = undefined;
    this.lastError = reason;
    this.retryAt = this.clock() + this.backoffMs;
    this.deps.log.warn({ server: this.name, reason, retryInMs: this.backoffMs }, 'upstream failed');
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
  }

  /** An SDK error as the agent should read it: which upstream, and what happened. */
  private explain(error: unknown): UpstreamError {
    if (error instanceof UpstreamError) return error;
    const message = error instanceof Error ? error.message : String(error);
    if (/timed? ?out/i.test(message)) {
      return new UpstreamError(
        `upstream ${this.name} did not answer within ${this.entry.timeoutMs / 1_000} s`,
      );
    }
    if (/connection closed/i.test(message)) {
      return new UpstreamError(
        `upstream ${this.name} closed the connection: ${this.exitReason ?? 'it exited'}`,
      );
    }
    return new UpstreamError(`upstream ${this.name}: ${message.slice(0, 500)}`);
  }
}
