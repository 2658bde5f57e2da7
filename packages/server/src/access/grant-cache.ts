import type { Signals } from '../signals/signals.js';
import type { Storage } from '../storage/database.js';

export interface ActiveGrant {
  readonly id: string;
  readonly tools: readonly string[];
  readonly expiresAt: number;
}

interface Entry {
  readonly grants: readonly ActiveGrant[];
  readonly loadedAt: number;
}

const MAX_ENTRIES = 100_000;
const NONE: readonly ActiveGrant[] = Object.freeze([]);

/**
 * Each agent's temporary grants, as the decide path needs them on every call. A new or revoked
 * grant is signalled (`grants.changed`, on every node) and drops the entry at once; expiry needs no
 * signal, because every read filters by the time of the call.
 */
export class GrantCache {
  private readonly entries = new Map<string, Entry>();
  private epoch = 0;

  constructor(
    private readonly storage: Storage,
    signals: Signals,
    private readonly ttlMs: number,
  ) {
    signals.subscribe((signal) => {
      if (signal.type === 'grants.changed') {
        this.epoch++;
        this.entries.delete(key(signal.tenantId, signal.agentId));
      }
    });
    signals.onReset(() => {
      this.epoch++;
      this.entries.clear();
    });
  }

  async active(tenantId: string, agentId: string, now: number): Promise<readonly ActiveGrant[]> {
    const k = key(tenantId, agentId);
    let entry = this.entries.get(k);
    if (!entry || now - entry.loadedAt > this.ttlMs) {
      const epoch = this.epoch;
      const rows = await this.storage.db
        .selectFrom('access_grants')
        .select(['id', 'tools', 'expires_at'])
        .where('tenant_id', '=', tenantId)
        .where('agent_id', '=', agentId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .execute();
      entry = {
        grants:
          rows.length === 0
            ? NONE
            : rows.map((r) => ({
                id: r.id,
                tools: JSON.parse(r.tools) as string[],
                expiresAt: r.expires_at,
              })),
        loadedAt: now,
      };
      if (epoch === this.epoch) {
        if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
        this.entries.set(k, entry);
      }
    }
    return entry.grants.length === 0 ? NONE : entry.grants.filter((g) => g.expiresAt > now);
  }
}

function key(tenantId: string, agentId: string): string {
  return `${tenantId}|${agentId}`;
}
