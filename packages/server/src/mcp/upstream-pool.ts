import type { Tool } from '@modelcontextprotocol/server';
import type { SecretBox } from '../secrets/secret-box.js';
import { secretBinding } from './secrets.js';
import type { ServerEntry } from './server-entry.js';
import { Upstream, type UpstreamLog } from './upstream.js';

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

/**
 * Every tenant's upstream servers, by name. A server's name is a whole segment of its tools' names,
 * so `github.create_issue` can only come from `github`: an upstream cannot shadow another's tools.
 */
export class UpstreamPool {
  private readonly byTenant = new Map<string, Map<string, Upstream>>();
  private readonly listeners = new Set<(tenantId: string) => void>();

  constructor(
    private readonly log: UpstreamLog,
    /** Opens the secrets of servers added through the API. */
    readonly box: SecretBox,
    private readonly env: NodeJS.ProcessEnv = process.env,
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
    await Promise.all(stopping.map((u) => u.close()));
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

  async close(): Promise<void> {
    const all = [...this.byTenant.values()].flatMap((m) => [...m.values()]);
    this.byTenant.clear();
    await Promise.all(all.map((u) => u.close()));
  }

  private upstream(tenantId: string, entry: ServerEntry): Upstream {
    return new Upstream(entry, {
      log: this.log,
      secrets: {
        env: this.env,
        reveal: (box, field) => this.box.open(box, secretBinding(tenantId, entry.name, field)),
      },
      onToolsChanged: () => this.changed(tenantId),
    });
  }

  private changed(tenantId: string): void {
    for (const listener of this.listeners) listener(tenantId);
  }
}
