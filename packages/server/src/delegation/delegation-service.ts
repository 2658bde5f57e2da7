import { isGuardian, isOwnerOf } from '../agents/agent-access.js';
import { findAgent } from '../agents/agent-store.js';
import type { AuditActor, AuditLog } from '../audit/audit-log.js';
import type { AgentPrincipal, HumanPrincipal } from '../credentials/principal.js';
import { forbidden, invalidField, notFound, WardenError } from '../errors.js';
import { newId } from '../ids.js';
import { type Storage, type Trx, writeTransaction } from '../storage/database.js';
import {
  DEFAULT_DELEGATION_SECONDS,
  type DelegationGrant,
  isLive,
  MAX_DELEGATION_SECONDS,
} from './delegation.js';
import { findGrant, grantsOf } from './delegation-store.js';

export interface GrantInput {
  readonly delegateId: string;
  readonly tools: readonly string[];
  readonly taskId?: string;
  readonly ttlSeconds?: number;
}

/**
 * Delegation grants: made and revoked by the delegating agent with its own key; its owner, admin
 * or security may list and revoke them too. Each change is audited.
 */
export class DelegationService {
  constructor(
    private readonly deps: {
      readonly storage: Storage;
      readonly audit: AuditLog;
      readonly clock: () => number;
    },
  ) {}

  async grant(principal: AgentPrincipal, input: GrantInput): Promise<DelegationGrant> {
    const { storage, audit, clock } = this.deps;
    const { tenantId, agentId } = principal;
    const ttl = input.ttlSeconds ?? DEFAULT_DELEGATION_SECONDS;
    if (ttl > MAX_DELEGATION_SECONDS) {
      throw invalidField('body.ttlSeconds', `at most ${MAX_DELEGATION_SECONDS} (24 hours)`);
    }
    return writeTransaction(storage, async (trx) => {
      const delegator = await findAgent(trx, tenantId, agentId);
      if (delegator?.status !== 'active') {
        throw forbidden(`this agent is ${delegator?.status ?? 'unknown'}: only an active agent delegates`);
      }
      if (input.delegateId === agentId)
        throw invalidField('body.delegateId', 'an agent cannot delegate to itself');
      const delegate = await findAgent(trx, tenantId, input.delegateId);
      if (!delegate) throw invalidField('body.delegateId', `agent ${input.delegateId} not found`);
      if (delegate.status === 'retired') {
        throw invalidField('body.delegateId', `agent ${input.delegateId} is retired`);
      }
      const now = clock();
      const grant: DelegationGrant = {
        id: newId('dlg', now),
        tenantId,
        delegatorId: agentId,
        delegateId: delegate.id,
        tools: [...new Set(input.tools)],
        taskId: input.taskId ?? null,
        createdAt: now,
        expiresAt: now + ttl * 1000,
        revokedAt: null,
        revokedBy: null,
      };
      await trx
        .insertInto('delegation_grants')
        .values({
          tenant_id: tenantId,
          id: grant.id,
          delegator_id: grant.delegatorId,
          delegate_id: grant.delegateId,
          tools: JSON.stringify(grant.tools),
          task_id: grant.taskId,
          created_at: grant.createdAt,
          expires_at: grant.expiresAt,
          revoked_at: null,
          revoked_by: null,
        })
        .execute();
      await audit.append(trx, tenantId, [
        {
          type: 'delegation.grant',
          actor: { type: 'agent', id: agentId },
          subject: { type: 'delegation', id: grant.id },
          payload: grantPayload(grant),
          at: now,
        },
      ]);
      return grant;
    });
  }

  /** What the calling agent gave or received. */
  listOwn(principal: AgentPrincipal, all: boolean): Promise<DelegationGrant[]> {
    return grantsOf(this.deps.storage.db, principal.tenantId, principal.agentId, {
      all,
      now: this.deps.clock(),
    });
  }

  /** What an agent gave or received, for the humans of its tenant. */
  async listOf(principal: HumanPrincipal, agentId: string, all: boolean): Promise<DelegationGrant[]> {
    const db = this.deps.storage.db;
    if (!(await findAgent(db, principal.tenantId, agentId))) throw notFound('agent', agentId);
    return grantsOf(db, principal.tenantId, agentId, { all, now: this.deps.clock() });
  }

  /** The delegator takes its consent back; someone else's grant does not exist for it. */
  async revokeAsDelegator(principal: AgentPrincipal, grantId: string): Promise<void> {
    await this.revoke(principal.tenantId, grantId, { type: 'agent', id: principal.agentId }, (grant) => {
      if (grant.delegatorId !== principal.agentId) throw notFound('delegation grant', grantId);
    });
  }

  /** Admin, security, or the owner of either agent of the grant ends it. */
  async revokeAsHuman(principal: HumanPrincipal, agentId: string, grantId: string): Promise<void> {
    const tenantId = principal.tenantId;
    await this.revoke(tenantId, grantId, { type: 'human', id: principal.humanId }, async (grant, trx) => {
      if (grant.delegatorId !== agentId && grant.delegateId !== agentId) {
        throw notFound('delegation grant', grantId);
      }
      if (isGuardian(principal)) return;
      for (const id of [grant.delegatorId, grant.delegateId]) {
        const agent = await findAgent(trx, tenantId, id);
        if (agent && isOwnerOf(principal, agent)) return;
      }
      throw forbidden(
        'only an admin, security, or the owner of the delegating or delegated agent may revoke it',
      );
    });
  }

  private async revoke(
    tenantId: string,
    grantId: string,
    actor: AuditActor,
    authorize: (grant: DelegationGrant, trx: Trx) => void | Promise<void>,
  ): Promise<void> {
    const { storage, audit, clock } = this.deps;
    await writeTransaction(storage, async (trx) => {
      const grant = await findGrant(trx, tenantId, grantId);
      if (!grant) throw notFound('delegation grant', grantId);
      await authorize(grant, trx);
      const now = clock();
      if (!isLive(grant, now))
        throw new WardenError('conflict', `delegation grant ${grantId} has already ended`);
      await trx
        .updateTable('delegation_grants')
        .set({ revoked_at: now, revoked_by: `${actor.type}:${actor.id}` })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', grantId)
        .execute();
      await audit.append(trx, tenantId, [
        {
          type: 'delegation.revoke',
          actor,
          subject: { type: 'delegation', id: grantId },
          payload: grantPayload(grant),
          at: now,
        },
      ]);
    });
  }
}

function grantPayload(grant: DelegationGrant) {
  return {
    delegatorId: grant.delegatorId,
    delegateId: grant.delegateId,
    tools: [...grant.tools],
    taskId: grant.taskId,
    expiresAt: new Date(grant.expiresAt).toISOString(),
  };
}
