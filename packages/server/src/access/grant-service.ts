import { assertCanManage } from '../agents/agent-access.js';
import { findAgent } from '../agents/agent-store.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { HumanPrincipal } from '../credentials/principal.js';
import { notFound, WardenError } from '../errors.js';
import type { Signals } from '../signals/signals.js';
import { type Storage, writeTransaction } from '../storage/database.js';

export interface Grant {
  readonly id: string;
  readonly agentId: string;
  readonly tools: readonly string[];
  readonly requestId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
}

/** Listing and revoking an agent's temporary grants. */
export class GrantService {
  constructor(
    private readonly deps: {
      readonly storage: Storage;
      readonly audit: AuditLog;
      readonly signals: Signals;
      readonly clock: () => number;
    },
  ) {}

  /** Grants that still apply (unless `all`), newest first. */
  async list(principal: HumanPrincipal, agentId: string, all: boolean): Promise<Grant[]> {
    const db = this.deps.storage.db;
    const agent = await findAgent(db, principal.tenantId, agentId);
    if (!agent) throw notFound('agent', agentId);
    let query = db
      .selectFrom('access_grants')
      .selectAll()
      .where('tenant_id', '=', principal.tenantId)
      .where('agent_id', '=', agentId);
    if (!all) query = query.where('revoked_at', 'is', null).where('expires_at', '>', this.deps.clock());
    const rows = await query.orderBy('id', 'desc').limit(500).execute();
    return rows.map((r) => ({
      id: r.id,
      agentId: r.agent_id,
      tools: JSON.parse(r.tools) as string[],
      requestId: r.request_id,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      revokedAt: r.revoked_at,
    }));
  }

  /** Ends a grant now; every node's decide path stops using it at once. */
  async revoke(principal: HumanPrincipal, agentId: string, grantId: string): Promise<void> {
    const { storage, audit, signals, clock } = this.deps;
    const tenantId = principal.tenantId;
    await writeTransaction(storage, async (trx) => {
      const agent = await findAgent(trx, tenantId, agentId);
      if (!agent) throw notFound('agent', agentId);
      assertCanManage(principal, agent, 'revoke grants of');
      const grant = await trx
        .selectFrom('access_grants')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('agent_id', '=', agentId)
        .where('id', '=', grantId)
        .executeTakeFirst();
      if (!grant) throw notFound('grant', grantId);
      const now = clock();
      if (grant.revoked_at !== null || grant.expires_at <= now) {
        throw new WardenError('conflict', `grant ${grantId} has already ended`);
      }
      await trx.updateTable('access_grants').set({ revoked_at: now }).where('id', '=', grantId).execute();
      await audit.append(trx, tenantId, [
        {
          type: 'access.revoke',
          actor: { type: 'human', id: principal.humanId },
          subject: { type: 'agent', id: agentId },
          payload: { grantId, tools: JSON.parse(grant.tools) as string[] },
          at: now,
        },
      ]);
    });
    await signals.publish({ type: 'grants.changed', tenantId, agentId });
  }
}
