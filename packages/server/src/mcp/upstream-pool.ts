import type { Tool } from '@modelcontextprotocol/server';
import type { SecretBox } from '../secrets/secret-box.js';
import { type SecretSources, secretBinding } from './secrets.js';
import type { ServerEntry } from './server-entry.js';
import { Upstream, UpstreamError, type UpstreamLog } from './upstream.js';
import { relaysToAgents } from './upstream-requests.js';

/** Connections of their own one server may have open for agents at once (entries that relay). */
export const MAX_AGENT_CONNECTIONS = 100;
/** An agent's own connection unused this long is closed (its next call starts it again). */
export const AGENT_CONNECTION_IDLE_MS = 10 * 60_000;

/** An upstream tool under its Warden name: `<server>.<tool>`, the name policies, budgets and the audit use. */
export interface GatewayTool {
  readonly server: string;
  /** The upstream's own name for it, used when forwarding. */
  readonly upstreamName: string;
  /** `<server>.<upstreamName>`. */
  readonly name: string;
  /** As the upstream listed it (description, schemas, annotations pass through unchanged). */
  readonly definition: Tool;
}

export interface ToolListing {
  readonly tools: readonly GatewayTool[];
  /** Upstreams whose list could not be had (down, restarting, broken), with why. */
  readonly unavailable: readonly { readonly server: string; readonly reason: string }[];
}

interface AgentConnection {
  readonly upstream: Upstream;
  lastUsed: number;
}

/**
 * Every tenant's upstream servers, by name. A server's name is a whole segment of its tools' names,
 * so `github.create_issue` can only come from `github`: an upstream cannot shadow another's tools.
 *
 * One connection per server serves every agent of the tenant (lists, reads, calls), except for the
 * tool calls of a server whose entry relays sampling or elicitation: those go over a connection of
 * the calling agent's own, keyed by tenant, server and agent (`forAgent`).
 */
export class UpstreamPool {
  private readonly byTenant = new Map<string, Map<string, Upstream>>();
  /** The agents' own connections, by the shared upstream they stand in for, then by agent id. */
  private readonly byAgent = new Map<Upstream, Map<string, AgentConnection>>();
  /** Where each shared connection's secrets come from; an agent's own connection uses the same. */
  private readonly secretsOf = new WeakMap<Upstream, SecretSources>();
  private readonly listeners = new Set<(tenantId: string) => void>();

  constructor(
    private readonly log: UpstreamLog,
    /** Opens the secrets of servers added through the API. */
    readonly box: SecretBox,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Told when a tenant's tools may have changed (an upstream's list, a server added or removed). */
  onToolsChanged(listener: (tenantId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sets a tenant's servers: new ones are added, changed ones restarted, missing ones stopped. */
  async replace(tenantId: string, entries: readonly ServerEntry[]): Promise<void> {
    const current = this.byTenant.get(tenantId) ?? new Map<string, Upstream>();
    const next = new Map<string, Upstream>();
    const stopping: Upstream[] = [];
    for (const entry of entries) {
      const existing = current.get(entry.name);
      if (existing && JSON.stringify(existing.entry) === JSON.stringify(entry)) {
        next.set(entry.name, existing);
        continue;
      }
      if (existing) stopping.push(existing);
      next.set(entry.name, this.upstream(tenantId, entry));
    }
    for (const [name, upstream] of current) if (!next.has(name)) stopping.push(upstream);
    this.byTenant.set(tenantId, next);
    await Promise.all(stopping.map((u) => this.stop(u)));
    this.changed(tenantId);
  }

  /** The tenants that have (or had) servers here. */
  tenants(): string[] {
    return [...this.byTenant.keys()];
  }

  servers(tenantId: string): readonly Upstream[] {
    return [...(this.byTenant.get(tenantId)?.values() ?? [])];
  }

  get(tenantId: string, server: string): Upstream | undefined {
    return this.byTenant.get(tenantId)?.get(server);
  }

  /** The tools of a tenant's servers (or of one), listed concurrently; a failing upstream is skipped. */
  async tools(tenantId: string, only?: string): Promise<ToolListing> {
    const upstreams = only
      ? [this.get(tenantId, only)].filter((u) => u !== undefined)
      : this.servers(tenantId);
    const listed = await Promise.allSettled(upstreams.map((u) => u.tools()));
    const tools: GatewayTool[] = [];
    const unavailable: { server: string; reason: string }[] = [];
    for (const [i, result] of listed.entries()) {
      const server = (upstreams[i] as Upstream).name;
      if (result.status === 'rejected') {
        unavailable.push({ server, reason: (result.reason as Error).message });
        continue;
      }
      for (const definition of result.value) {
        tools.push({
          server,
          upstreamName: definition.name,
          name: `${server}.${definition.name}`,
          definition,
        });
      }
    }
    return { tools, unavailable };
  }

  /** The tool a Warden name stands for, when its server is known: `github.create_issue`. */
  resolve(tenantId: string, name: string): { upstream: Upstream; upstreamName: string } | undefined {
    const dot = name.indexOf('.');
    if (dot <= 0) return undefined;
    const upstream = this.get(tenantId, name.slice(0, dot));
    return upstream ? { upstream, upstreamName: name.slice(dot + 1) } : undefined;
  }

  /**
   * The connection an agent's tool call goes over: the server's shared one, or, when its entry relays
   * sampling or elicitation, one of the agent's own. Over stdio nothing on the wire says which call an
   * upstream's request belongs to, so a connection several agents share could hand one agent's
   * question (and whatever the upstream put in it) to another agent; a connection of its own keeps
   * what the upstream asks, and what it remembers between calls, with the agent it serves. Closed
   * when unused for `AGENT_CONNECTION_IDLE_MS`; at most `MAX_AGENT_CONNECTIONS` per server.
   */
  forAgent(shared: Upstream, agentId: string): Upstream {
    if (!relaysToAgents(shared.entry)) return shared;
    let agents = this.byAgent.get(shared);
    if (!agents) {
      agents = new Map();
      this.byAgent.set(shared, agents);
    }
    const now = this.clock();
    const existing = agents.get(agentId);
    if (existing) {
      existing.lastUsed = now;
      return existing.upstream;
    }
    if (agents.size >= MAX_AGENT_CONNECTIONS) this.evictIdlest(shared.name, agents);
    const upstream = new Upstream(shared.entry, {
      log: this.log,
      secrets: this.sourcesOf(shared),
      // Its tools are listed on the shared connection.
      onToolsChanged: () => {},
      agentId,
    });
    agents.set(agentId, { upstream, lastUsed: now });
    return upstream;
  }

  /** How many connections of their own agents have open to this server. */
  agentConnections(shared: Upstream): number {
    return this.byAgent.get(shared)?.size ?? 0;
  }

  /** Closes the agents' own connections unused for `AGENT_CONNECTION_IDLE_MS` (none in flight). */
  async sweepIdle(): Promise<void> {
    const cutoff = this.clock() - AGENT_CONNECTION_IDLE_MS;
    const closing: Upstream[] = [];
    for (const agents of this.byAgent.values()) {
      for (const [agentId, connection] of agents) {
        if (connection.lastUsed >= cutoff || connection.upstream.busy > 0) continue;
        agents.delete(agentId);
        closing.push(connection.upstream);
      }
    }
    await Promise.all(closing.map((u) => u.close()));
  }

  async close(): Promise<void> {
    const all = [...this.byTenant.values()].flatMap((m) => [...m.values()]);
    this.byTenant.clear();
    await Promise.all(all.map((u) => this.stop(u)));
  }

  private upstream(tenantId: string, entry: ServerEntry): Upstream {
    const secrets: SecretSources = {
      env: this.env,
      reveal: (box, field) => this.box.open(box, secretBinding(tenantId, entry.name, field)),
    };
    const upstream = new Upstream(entry, {
      log: this.log,
      secrets,
      onToolsChanged: () => this.changed(tenantId),
    });
    this.secretsOf.set(upstream, secrets);
    return upstream;
  }

  private sourcesOf(shared: Upstream): SecretSources {
    const sources = this.secretsOf.get(shared);
    if (!sources) throw new Error(`upstream ${shared.name} is not one of this pool's`);
    return sources;
  }

  /** Stops a shared connection and the agents' own connections to the same server. */
  private async stop(shared: Upstream): Promise<void> {
    const agents = [...(this.byAgent.get(shared)?.values() ?? [])];
    this.byAgent.delete(shared);
    await Promise.all([shared.close(), ...agents.map((a) => a.upstream.close())]);
  }

  /** Makes room for one more agent connection: the least recently used idle one is closed. */
  private evictIdlest(server: string, agents: Map<string, AgentConnection>): void {
    let idlest: [string, AgentConnection] | undefined;
    for (const pair of agents) {
      if (pair[1].upstream.busy === 0 && (!idlest || pair[1].lastUsed < idlest[1].lastUsed)) idlest = pair;
    }
    if (!idlest) {
      throw new UpstreamError(
        `upstream ${server} is serving ${agents.size} agents at once, its most; try again when a call ends`,
      );
    }
    agents.delete(idlest[0]);
    void idlest[1].upstream.close();
  }

  private changed(tenantId: string): void {
    for (const listener of this.listeners) listener(tenantId);
  }
}
