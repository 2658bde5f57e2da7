import type { Signals } from '../signals/signals.js';
import type { Storage } from '../storage/database.js';
import { type Agent, agentFromRow } from './agent.js';

const MAX_ENTRIES = 100_000;

/**
 * Agents as the decide path reads them. A suspend, update or retire is signalled to every node and
 * drops the entry at once, so the very next decision sees the new status; a TTL bounds the damage of
 * a lost signal.
 */
export class AgentCache {
  private readonly entries = new Map<string, { agent: Agent; cachedAt: number }>();
  private epoch = 0;

  constructor(
    private readonly storage: Storage,
    signals: Signals,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    signals.subscribe((signal) => {
      if (signal.type === 'agent.changed') this.drop(signal.agentId);
    });
    signals.onReset(() => {
      this.epoch++;
      this.entries.clear();
    });
  }

  async get(tenantId: string, agentId: string): Promise<Agent | undefined> {
    const now = this.clock();
    const hit = this.entries.get(agentId);
    if (hit && hit.agent.tenantId === tenantId && (this.ttlMs === 0 || now - hit.cachedAt <= this.ttlMs)) {
      return hit.agent;
    }
    const epoch = this.epoch;
    const row = await this.storage.db
      .selectFrom('agents')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', agentId)
      .executeTakeFirst();
    if (!row) return undefined;
    const agent = agentFromRow(row);
    if (epoch === this.epoch && this.ttlMs > 0) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(agentId, { agent, cachedAt: now });
    }
    return agent;
  }

  private drop(agentId: string): void {
    this.epoch++;
    this.entries.delete(agentId);
  }
}
