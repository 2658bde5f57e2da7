import type { JsonValue } from '@warden/policy';
import { keyCreateEvent } from '../credentials/agent-keys-audit.js';
import { type IssuedSecret, issueAgentKey } from '../credentials/issue.js';
import type { HumanPrincipal } from '../credentials/principal.js';
import { forbidden, invalidField, notFound, WardenError } from '../errors.js';
import { toIso } from '../http/schemas.js';
import { newId } from '../ids.js';
import type { Notification } from '../notify/notifier.js';
import { writeTransaction } from '../storage/database.js';
import { restartTierWindow } from '../trust/trust-store.js';
import { type Agent, agentToRow, type Environment, type RiskClass, riskLevel } from './agent.js';
import { assertCanManage, isGuardian } from './agent-access.js';
import { type AgentPatch, applyPatch, type Changes } from './agent-changes.js';
import { type AgentDeps, isUniqueViolation } from './agent-deps.js';
import { agentNotification, describeActor, sendNotifications } from './agent-notify.js';
import {
  type AgentFilter,
  childIds,
  findActiveHuman,
  findAgent,
  findAgentForWrite,
  findHuman,
  isNameTaken,
  listAgents,
} from './agent-store.js';

export interface CreateAgentInput {
  readonly name: string;
  readonly ownerId: string;
  readonly purpose: string;
  readonly risk: RiskClass;
  readonly environments: readonly Environment[];
  readonly roles?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly maxChildren?: number;
  readonly recertifyAt?: number;
  readonly rollbackUrl?: string;
}

const RISK_RANK = { low: 0, medium: 1, high: 2 } as const;

/** Low-risk agents start working at once; anything touching sensitive data waits for an admin. */
export function initialStatus(risk: RiskClass): 'active' | 'pending' {
  return riskLevel(risk) === 'low' ? 'active' : 'pending';
}

export function nameTaken(name: string): WardenError {
  return new WardenError('conflict', `an agent named ${name} already exists in this tenant`, {
    field: 'body.name',
  });
}

/** The agent registry: creating, reading and changing agents. Lifecycle and spawn live beside it. */
export class AgentService {
  constructor(private readonly deps: AgentDeps) {}

  async create(
    principal: HumanPrincipal,
    input: CreateAgentInput,
  ): Promise<{ agent: Agent; key: IssuedSecret }> {
    if (!principal.roles.includes('admin') && input.ownerId !== principal.humanId) {
      throw forbidden('an owner may only register agents they own themself (body.ownerId)');
    }
    const { storage, audit, clock } = this.deps;
    const tenantId = principal.tenantId;
    const now = clock();
    try {
      const created = await writeTransaction(storage, async (trx) => {
        if (!(await findActiveHuman(trx, tenantId, input.ownerId))) {
          throw invalidField('body.ownerId', `${input.ownerId} is not an active human of this tenant`);
        }
        if (await isNameTaken(trx, tenantId, input.name)) throw nameTaken(input.name);
        const agent: Agent = {
          id: newId('agt', now),
          tenantId,
          name: input.name,
          ownerId: input.ownerId,
          purpose: input.purpose,
          risk: input.risk,
          environments: [...input.environments],
          tier: 'sandbox',
          roles: [...(input.roles ?? [])],
          labels: { ...(input.labels ?? {}) },
          parentId: null,
          maxChildren: input.maxChildren ?? 0,
          status: initialStatus(input.risk),
          recertifyAt: input.recertifyAt ?? null,
          createdAt: now,
          updatedAt: now,
          lastActiveAt: null,
          rollbackUrl: input.rollbackUrl ?? null,
          breaker: null,
        };
        await trx.insertInto('agents').values(agentToRow(agent)).execute();
        const key = await issueAgentKey(trx, { tenantId, agentId: agent.id, expiresAt: null, now });
        const actor = { type: 'human' as const, id: principal.humanId };
        await audit.append(trx, tenantId, [
          {
            type: 'agent.create',
            actor,
            subject: { type: 'agent', id: agent.id },
            payload: agentPayload(agent),
            at: now,
          },
          keyCreateEvent(actor, agent.id, key),
        ]);
        // Medium and high-risk agents wait for security (and legal) to approve their registration.
        const registration =
          agent.status === 'pending' ? await this.deps.registrations.open(trx, agent, actor, now) : undefined;
        return { agent, key, registration };
      });
      await created.registration?.afterCommit();
      return { agent: created.agent, key: created.key };
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(input.name);
      throw error;
    }
  }

  list(tenantId: string, filter: AgentFilter) {
    return listAgents(this.deps.storage.db, tenantId, filter);
  }

  async get(tenantId: string, agentId: string): Promise<{ agent: Agent; children: string[] }> {
    const agent = await findAgent(this.deps.storage.db, tenantId, agentId);
    if (!agent) throw notFound('agent', agentId);
    return { agent, children: await childIds(this.deps.storage.db, tenantId, agentId) };
  }

  /**
   * Changes an agent. Raising its risk level is treated like a new registration at that level: unless
   * an admin (who could activate it anyway) does it, an active agent goes back to pending.
   */
  async update(
    principal: HumanPrincipal,
    agentId: string,
    patch: AgentPatch,
  ): Promise<{ agent: Agent; changes: Changes }> {
    const { storage, audit, signals, clock } = this.deps;
    const tenantId = principal.tenantId;
    const now = clock();
    const outcome = await writeTransaction(storage, async (trx) => {
      const agent = await findAgentForWrite(trx, storage.dialect, tenantId, agentId);
      if (!agent) throw notFound('agent', agentId);
      assertCanManage(principal, agent, 'change');
      if (patch.tier !== undefined && !isGuardian(principal)) {
        throw forbidden('body.tier: only an admin or security may set the trust tier');
      }
      if (agent.status === 'retired') {
        throw new WardenError('conflict', `agent ${agent.name} is retired; retired agents cannot be changed`);
      }
      const applied = applyPatch(agent, patch);
      let next = applied.next;
      const changes = applied.changes;
      if (Object.keys(changes).length === 0)
        return { agent, changes, notifications: [], registration: undefined };
      const newOwner = changes.ownerId ? await findActiveHuman(trx, tenantId, next.ownerId) : undefined;
      if (changes.ownerId && !newOwner) {
        throw invalidField('body.ownerId', `${next.ownerId} is not an active human of this tenant`);
      }
      if (
        RISK_RANK[riskLevel(next.risk)] > RISK_RANK[riskLevel(agent.risk)] &&
        agent.status === 'active' &&
        !principal.roles.includes('admin')
      ) {
        changes.status = { from: agent.status, to: 'pending' };
        next = { ...next, status: 'pending' };
      }
      const reRegister =
        changes.status?.to === 'pending' && !(await this.deps.registrations.pending(trx, tenantId, agentId));
      next = { ...next, updatedAt: now };
      const { id: _id, tenant_id: _tenant, created_at: _created, ...row } = agentToRow(next);
      await trx
        .updateTable('agents')
        .set(row)
        .where('tenant_id', '=', tenantId)
        .where('id', '=', agentId)
        .execute();
      // A tier set by hand starts the agent's time in that tier (the trust evidence window) now.
      if (changes.tier) await restartTierWindow(trx, tenantId, agentId, now);
      await audit.append(trx, tenantId, [
        {
          type: 'agent.update',
          actor: { type: 'human', id: principal.humanId },
          subject: { type: 'agent', id: agentId },
          payload: { name: agent.name, changes },
          at: now,
        },
      ]);
      const registration = reRegister
        ? await this.deps.registrations.open(trx, next, { type: 'human', id: principal.humanId }, now)
        : undefined;

      const who = describeActor(await findHuman(trx, tenantId, principal.humanId), principal.humanId);
      const summary = `${who} changed ${Object.keys(changes).join(', ')} of agent ${agent.name}`;
      const data = { changes, actor: { type: 'human', id: principal.humanId } };
      const recipients = [newOwner ?? (await findHuman(trx, tenantId, agent.ownerId))];
      if (newOwner) recipients.push(await findHuman(trx, tenantId, agent.ownerId));
      const notifications: Notification[] = recipients
        .filter((recipient) => recipient !== undefined)
        .map((recipient) => agentNotification('agent.update', next, recipient, summary, data, now));
      return { agent: next, changes, notifications, registration };
    });
    if (Object.keys(outcome.changes).length > 0) {
      await signals.publish({ type: 'agent.changed', tenantId, agentId });
      await outcome.registration?.afterCommit();
      sendNotifications(this.deps, outcome.notifications);
    }
    return { agent: outcome.agent, changes: outcome.changes };
  }
}

/** What the audit log keeps of a new agent: its whole registration, never its key. */
export function agentPayload(agent: Agent): { [key: string]: JsonValue } {
  return {
    name: agent.name,
    ownerId: agent.ownerId,
    purpose: agent.purpose,
    risk: agent.risk,
    environments: [...agent.environments],
    tier: agent.tier,
    roles: [...agent.roles],
    labels: { ...agent.labels },
    parentId: agent.parentId,
    maxChildren: agent.maxChildren,
    status: agent.status,
    recertifyAt: toIso(agent.recertifyAt),
    rollbackUrl: agent.rollbackUrl,
  };
}
