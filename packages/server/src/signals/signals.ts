/**
 * Cross-node signals: a change made on one node (a suspended agent, a revoked key, a new policy
 * version) must reach every node's caches at once. Handlers run on the publishing node before
 * `publish` returns, and on the others as soon as the signal arrives.
 */
export type Signal =
  | { readonly type: 'agent.changed'; readonly tenantId: string; readonly agentId: string }
  | { readonly type: 'human.changed'; readonly tenantId: string; readonly humanId: string }
  | { readonly type: 'credential.revoked'; readonly tenantId: string; readonly hashes: readonly string[] }
  | { readonly type: 'policy.activated'; readonly tenantId: string; readonly version: string }
  | { readonly type: 'audit.keys_destroyed'; readonly tenantId: string; readonly keyIds: readonly string[] }
  | {
      readonly type: 'approval.changed';
      readonly tenantId: string;
      readonly approvalId: string;
      readonly status: string;
      readonly version: number;
    }
  | { readonly type: 'grants.changed'; readonly tenantId: string; readonly agentId: string }
  /** The tenant was frozen or thawed (kill switch). */
  | { readonly type: 'tenant.changed'; readonly tenantId: string }
  /** Budget definitions changed. */
  | { readonly type: 'budgets.changed'; readonly tenantId: string }
  /** Rate-limit definitions changed. */
  | { readonly type: 'rate_limits.changed'; readonly tenantId: string }
  /** Upstream MCP servers were added, changed or removed through the API. */
  | { readonly type: 'mcp.servers.changed'; readonly tenantId: string }
  /** LLM providers were added, changed or removed through the API. */
  | { readonly type: 'llm.providers.changed'; readonly tenantId: string }
  /** A tenant's shadow bundle was started, replaced or stopped. */
  | { readonly type: 'policy.shadow.changed'; readonly tenantId: string };

export type SignalHandler = (signal: Signal) => void;

export interface Signals {
  publish(signal: Signal): Promise<void>;
  subscribe(handler: SignalHandler): () => void;
  /** Called when signals may have been missed (a lost connection): caches should start over. */
  onReset(handler: () => void): () => void;
  close(): Promise<void>;
}

/** Delivery within this process: enough for SQLite, which is single-node. */
export class LocalSignals implements Signals {
  private readonly handlers = new Set<SignalHandler>();
  private readonly resetHandlers = new Set<() => void>();

  async publish(signal: Signal): Promise<void> {
    this.deliver(signal);
  }

  subscribe(handler: SignalHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  onReset(handler: () => void): () => void {
    this.resetHandlers.add(handler);
    return () => this.resetHandlers.delete(handler);
  }

  protected deliver(signal: Signal): void {
    for (const handler of this.handlers) handler(signal);
  }

  protected reset(): void {
    for (const handler of this.resetHandlers) handler();
  }

  async close(): Promise<void> {
    this.handlers.clear();
    this.resetHandlers.clear();
  }
}
