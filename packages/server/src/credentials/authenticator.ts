import { WardenError } from '../errors.js';
import type { Signals } from '../signals/signals.js';
import type { Storage } from '../storage/database.js';
import type { HumanRole } from '../tenants/roles.js';
import type { LastUsedTracker } from './last-used.js';
import type { Principal } from './principal.js';
import { hashSecret, type SecretKind, secretKind } from './secrets.js';

interface CacheEntry {
  readonly principal: Principal;
  readonly expiresAt: number | null;
  readonly cachedAt: number;
}

const MAX_ENTRIES = 100_000;

/**
 * Verifies bearer secrets: format and kind first (no I/O), then the cache, then the database.
 * Entries are dropped at once when a revoke, suspend or role change is signalled (on any node), and
 * after `ttlMs` in any case, so a missed signal cannot keep a revoked key alive for long.
 */
export class Authenticator {
  private readonly cache = new Map<string, CacheEntry>();
  /** Bumped by every invalidation; a lookup that raced one is not cached. */
  private epoch = 0;

  constructor(
    private readonly storage: Storage,
    signals: Signals,
    private readonly lastUsed: LastUsedTracker,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    signals.subscribe((signal) => {
      if (signal.type === 'credential.revoked') this.evict((_, hash) => signal.hashes.includes(hash));
      else if (signal.type === 'agent.changed')
        this.evict((p) => p.kind === 'agent' && p.agentId === signal.agentId);
      else if (signal.type === 'human.changed')
        this.evict((p) => p.kind === 'human' && p.humanId === signal.humanId);
    });
    signals.onReset(() => this.evict(() => true));
  }

  /** Returns who holds `secret`, or throws `unauthenticated` / `forbidden` (wrong kind for the route). */
  async authenticate(secret: string | undefined, expected: SecretKind): Promise<Principal> {
    if (!secret) throw new WardenError('unauthenticated', 'send a credential: Authorization: Bearer <key>');
    const kind = secretKind(secret);
    if (!kind) throw new WardenError('unauthenticated', 'the credential is not a Warden key or token');
    if (kind !== expected) {
      throw new WardenError(
        'forbidden',
        kind === 'agent' ? 'agent keys cannot call human routes' : 'human tokens cannot call agent routes',
      );
    }
    const hash = hashSecret(secret);
    const now = this.clock();
    let entry = this.cache.get(hash);
    if (entry && this.ttlMs > 0 && now - entry.cachedAt > this.ttlMs) {
      this.cache.delete(hash);
      entry = undefined;
    }
    if (!entry) {
      const epoch = this.epoch;
      const found =
        kind === 'agent' ? await this.lookupAgentKey(hash, now) : await this.lookupHumanToken(hash, now);
      entry = { ...found, cachedAt: now };
      if (epoch === this.epoch && this.ttlMs > 0) {
        if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
        this.cache.set(hash, entry);
      }
    }
    if (entry.expiresAt !== null && entry.expiresAt <= now) {
      throw new WardenError('unauthenticated', 'the credential has expired');
    }
    const principal = entry.principal;
    if (principal.kind === 'agent') {
      this.lastUsed.touch('agent_keys', principal.keyId, now);
      // The inventory's "last active" filter reads this.
      this.lastUsed.touch('agents', principal.agentId, now);
    } else if (principal.tokenId !== undefined) {
      this.lastUsed.touch('human_tokens', principal.tokenId, now);
    }
    return principal;
  }

  private async lookupAgentKey(hash: string, now: number): Promise<Omit<CacheEntry, 'cachedAt'>> {
    const row = await this.storage.db
      .selectFrom('agent_keys as k')
      .innerJoin('agents as a', 'a.id', 'k.agent_id')
      .select(['k.id', 'k.tenant_id', 'k.agent_id', 'k.expires_at', 'k.revoked_at', 'a.status'])
      .where('k.hash', '=', hash)
      .executeTakeFirst();
    if (!row || (row.revoked_at !== null && row.revoked_at <= now) || row.status === 'retired') {
      throw new WardenError('unauthenticated', 'the agent key is unknown or revoked');
    }
    return {
      principal: { kind: 'agent', tenantId: row.tenant_id, agentId: row.agent_id, keyId: row.id },
      // A rotated key is "revoked in the future": it stops working at the end of the overlap.
      expiresAt: minOf(row.expires_at, row.revoked_at),
    };
  }

  private async lookupHumanToken(hash: string, now: number): Promise<Omit<CacheEntry, 'cachedAt'>> {
    const row = await this.storage.db
      .selectFrom('human_tokens as t')
      .innerJoin('humans as h', 'h.id', 't.human_id')
      .select(['t.id', 't.tenant_id', 't.human_id', 't.expires_at', 't.revoked_at', 'h.status', 'h.roles'])
      .where('t.hash', '=', hash)
      .executeTakeFirst();
    if (!row || (row.revoked_at !== null && row.revoked_at <= now) || row.status !== 'active') {
      throw new WardenError('unauthenticated', 'the token is unknown, revoked, or its holder is disabled');
    }
    return {
      principal: {
        kind: 'human',
        tenantId: row.tenant_id,
        humanId: row.human_id,
        tokenId: row.id,
        roles: JSON.parse(row.roles) as HumanRole[],
      },
      expiresAt: minOf(row.expires_at, row.revoked_at),
    };
  }

  private evict(matches: (principal: Principal, hash: string) => boolean): void {
    this.epoch++;
    for (const [hash, entry] of this.cache) if (matches(entry.principal, hash)) this.cache.delete(hash);
  }
}

function minOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
