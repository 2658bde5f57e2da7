import type { FastifyBaseLogger } from 'fastify';
import type { Agent } from '../agents/agent.js';
import { agentNotification, sendNotifications } from '../agents/agent-notify.js';
import { findAgent, findAgentForWrite, findHuman, type HumanRef } from '../agents/agent-store.js';
import type { ApprovalRequest } from '../approvals/approval.js';
import { cancelPendingApprovals } from '../approvals/approval-cancel.js';
import type { AuditActor, AuditEventInput, AuditLog } from '../audit/audit-log.js';
import { notFound, WardenError } from '../errors.js';
import type { Notification, Notifier } from '../notify/notifier.js';
import type { Signal, Signals } from '../signals/signals.js';
import { type Storage, type Trx, writeTransaction } from '../storage/database.js';
import { describeKiller, guardiansOf, ownerNotice, tenantNotices } from './kill-notices.js';
import { suspendLocked } from './suspension.js';
import { frozenBy, lockFreeze, readFreeze, writeFreeze } from './tenant-freeze.js';
import type { TenantFreeze } from './tenant-state.js';

export interface KillDeps {
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly signals: Signals;
  readonly notifier: Notifier;
  readonly log: FastifyBaseLogger;
  readonly clock: () => number;
}

export interface AgentKill {
  readonly agent: Agent;
  /** False when the agent was already suspended (nothing about it was written again). */
  readonly changed: boolean;
  readonly cancelled: readonly ApprovalRequest[];
}

export interface OwnerKill {
  readonly owner: HumanRef;
  /** The agents this kill suspended (those already suspended or retired are left as they were). */
  readonly suspended: readonly Agent[];
  readonly cancelled: readonly ApprovalRequest[];
}

export interface TenantKill {
  readonly freeze: TenantFreeze | null;
  /** False for a freeze of a frozen tenant or a thaw of a thawed one. */
  readonly changed: boolean;
  readonly cancelled: readonly ApprovalRequest[];
}

/** What a committed kill still has to do: tell every node, then the people concerned. */
interface AfterCommit {
  readonly signals: Signal[];
  readonly notices: Notification[];
}

/**
 * The kill switch: stop one agent, every agent of one owner, or the whole tenant. Each is one
 * transaction holding its audit events and the cancellation of the pending approvals it makes moot;
 * the signals that reach every node (`agent.changed`, `tenant.changed`, `approval.changed`) go out
 * after the commit, which is what makes the next decision on any node a deny.
 */
export class KillService {
  constructor(private readonly deps: KillDeps) {}

  /** Suspends one agent (any actor: a human, or budgets at a hard limit); answers the agent. */
  async suspendAgent(actor: AuditActor, tenantId: string, agentId: string, reason: string): Promise<Agent> {
    return (await this.killAgent(actor, tenantId, agentId, reason)).agent;
  }

  /**
   * Suspends one agent. Idempotent: an agent already suspended stays as it was (no second
   * `agent.suspend`), though approvals still pending are cancelled. A retired agent is a 409.
   * `permit` runs on the agent before anything changes (the routes' owner check).
   */
  async killAgent(
    actor: AuditActor,
    tenantId: string,
    agentId: string,
    reason: string,
    permit: (agent: Agent) => void = () => {},
  ): Promise<AgentKill> {
    const { storage, audit, clock } = this.deps;
    const now = clock();
    const check = (agent: Agent | undefined): Agent => {
      if (!agent) throw notFound('agent', agentId);
      permit(agent);
      if (agent.status === 'retired') {
        throw new WardenError('conflict', `agent ${agent.name} is retired; there is nothing left to stop`, {
          status: agent.status,
        });
      }
      return agent;
    };
    const outcome = await writeTransaction(storage, async (trx) => {
      const seen = check(await findAgent(trx, tenantId, agentId));
      // Requests first, the agent row second: the order a vote takes them (a granted registration
      // updates the agent), so a kill and a vote on PostgreSQL wait for each other, never deadlock.
      const cancel = await cancelPendingApprovals(trx, storage.dialect, {
        tenantId,
        agentIds: [seen.id],
        actor,
        reason: `agent ${seen.name} was suspended: ${reason}`,
        now,
      });
      const agent = check(await findAgentForWrite(trx, storage.dialect, tenantId, agentId));
      const events: AuditEventInput[] = [];
      let next = agent;
      const notices: Notification[] = [];
      const changed = agent.status !== 'suspended';
      if (changed) {
        const suspension = await suspendLocked(trx, agent, actor, reason, now, {
          cancelledApprovals: cancel.cancelled.map((r) => r.id),
        });
        next = suspension.agent;
        events.push(suspension.event);
        const owner = await findHuman(trx, tenantId, agent.ownerId);
        const who = await describeKiller(trx, tenantId, actor);
        if (owner) {
          notices.push(
            agentNotification(
              'agent.suspend',
              next,
              owner,
              `${who} suspended agent ${agent.name} (kill switch): ${reason}`,
              { from: agent.status, to: 'suspended', reason, kill: true, actor: actorJson(actor) },
              now,
            ),
          );
        }
      }
      events.push(...cancel.events);
      if (events.length > 0) await audit.append(trx, tenantId, events);
      const signals: Signal[] = changed ? [{ type: 'agent.changed', tenantId, agentId: agent.id }] : [];
      return {
        kill: { agent: next, changed, cancelled: cancel.cancelled },
        after: { signals: [...signals, ...cancel.signals], notices },
      };
    });
    await this.finish(outcome.after);
    return outcome.kill;
  }

  /**
   * Suspends every active or pending agent of one human (`ownerRef`: their id or e-mail address), in
   * one transaction: one `agent.suspend` per agent, then a `kill.owner` event summing it up.
   */
  async suspendOwner(
    actor: AuditActor,
    tenantId: string,
    ownerRef: string,
    reason: string,
  ): Promise<OwnerKill> {
    const { storage, audit, clock } = this.deps;
    const now = clock();
    const outcome = await writeTransaction(storage, async (trx) => {
      const owner = await findOwner(trx, tenantId, ownerRef);
      if (!owner) throw notFound('human', ownerRef);
      const agents = await trx
        .selectFrom('agents')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('owner_id', '=', owner.id)
        .orderBy('id')
        .execute();
      // Every agent of the owner, suspended before or now: none keeps a request a human could still
      // grant. Requests before agent rows, like a single kill.
      const cancel = await cancelPendingApprovals(trx, storage.dialect, {
        tenantId,
        agentIds: agents.map((a) => a.id),
        actor,
        reason: `every agent of ${owner.email} was suspended: ${reason}`,
        now,
      });
      const suspended: Agent[] = [];
      const events: AuditEventInput[] = [];
      for (const { id } of agents) {
        const agent = await findAgentForWrite(trx, storage.dialect, tenantId, id);
        if (!agent || (agent.status !== 'active' && agent.status !== 'pending')) continue;
        const suspension = await suspendLocked(trx, agent, actor, reason, now, { owner: owner.id });
        suspended.push(suspension.agent);
        events.push(suspension.event);
      }
      events.push(...cancel.events, {
        type: 'kill.owner',
        actor,
        subject: { type: 'human', id: owner.id },
        payload: {
          reason,
          suspended: suspended.map((a) => a.id),
          cancelledApprovals: cancel.cancelled.map((r) => r.id),
        },
        at: now,
      });
      await audit.append(trx, tenantId, events);
      const who = await describeKiller(trx, tenantId, actor);
      const names = suspended.map((a) => a.name);
      const notice = ownerNotice(
        tenantId,
        owner,
        `${who} suspended ${names.length === 0 ? 'none' : 'all'} of your agents (kill switch)${names.length > 0 ? `: ${names.join(', ')}` : ''} — ${reason}`,
        { reason, agents: names, agentIds: suspended.map((a) => a.id), actor: actorJson(actor) },
        now,
      );
      return {
        kill: { owner, suspended, cancelled: cancel.cancelled },
        after: {
          signals: [
            ...suspended.map((a): Signal => ({ type: 'agent.changed', tenantId, agentId: a.id })),
            ...cancel.signals,
          ],
          notices: [notice],
        },
      };
    });
    await this.finish(outcome.after);
    return outcome.kill;
  }

  /**
   * Freezes the tenant: every decision is denied (`tenant_frozen`) on every node, and every pending
   * approval is cancelled. Freezing a frozen tenant keeps the first freeze and writes no second
   * `tenant.freeze`; approvals opened meanwhile are still cancelled.
   */
  async freezeTenant(actor: AuditActor, tenantId: string, reason: string): Promise<TenantKill> {
    const { storage, audit, clock } = this.deps;
    const now = clock();
    const outcome = await writeTransaction(storage, async (trx) => {
      const current = await lockFreeze(trx, storage.dialect, tenantId);
      if (current === undefined) throw notFound('tenant', tenantId);
      const changed = current === null;
      const freeze: TenantFreeze = current ?? { at: now, by: frozenBy(actor), reason };
      if (changed) await writeFreeze(trx, tenantId, freeze);
      const cancel = await cancelPendingApprovals(trx, storage.dialect, {
        tenantId,
        agentIds: 'all',
        actor,
        reason: `the tenant was frozen: ${freeze.reason ?? reason}`,
        now,
      });
      const events: AuditEventInput[] = [];
      const notices: Notification[] = [];
      if (changed) {
        events.push({
          type: 'tenant.freeze',
          actor,
          subject: { type: 'tenant', id: tenantId },
          payload: { reason, cancelledApprovals: cancel.cancelled.map((r) => r.id) },
          at: now,
        });
        const who = await describeKiller(trx, tenantId, actor);
        notices.push(
          ...tenantNotices(
            'tenant.freeze',
            tenantId,
            await guardiansOf(trx, tenantId),
            `${who} froze the tenant: every agent call is denied until an admin thaws it — ${reason}`,
            { reason, actor: actorJson(actor), cancelledApprovals: cancel.cancelled.length },
            now,
          ),
        );
      }
      events.push(...cancel.events);
      if (events.length > 0) await audit.append(trx, tenantId, events);
      const signals: Signal[] = changed ? [{ type: 'tenant.changed', tenantId }] : [];
      return {
        kill: { freeze, changed, cancelled: cancel.cancelled },
        after: { signals: [...signals, ...cancel.signals], notices },
      };
    });
    await this.finish(outcome.after);
    return outcome.kill;
  }

  /** Lifts a freeze. Agents suspended one by one stay suspended: resume them separately. */
  async thawTenant(actor: AuditActor, tenantId: string): Promise<TenantKill> {
    const { storage, audit, clock } = this.deps;
    const now = clock();
    const outcome = await writeTransaction(storage, async (trx) => {
      const current = await lockFreeze(trx, storage.dialect, tenantId);
      if (current === undefined) throw notFound('tenant', tenantId);
      if (current === null)
        return { kill: { freeze: null, changed: false, cancelled: [] }, after: undefined };
      await writeFreeze(trx, tenantId, null);
      await audit.append(trx, tenantId, [
        {
          type: 'tenant.thaw',
          actor,
          subject: { type: 'tenant', id: tenantId },
          payload: {
            frozenAt: new Date(current.at).toISOString(),
            frozenBy: current.by,
            reason: current.reason,
            frozenForSeconds: Math.max(0, Math.round((now - current.at) / 1000)),
          },
          at: now,
        },
      ]);
      const who = await describeKiller(trx, tenantId, actor);
      const notices = tenantNotices(
        'tenant.thaw',
        tenantId,
        await guardiansOf(trx, tenantId),
        `${who} thawed the tenant: agents may act again (suspended agents stay suspended)`,
        { frozenAt: new Date(current.at).toISOString(), reason: current.reason, actor: actorJson(actor) },
        now,
      );
      const after: AfterCommit = { signals: [{ type: 'tenant.changed', tenantId }], notices };
      return { kill: { freeze: null, changed: true, cancelled: [] }, after };
    });
    if (outcome.after) await this.finish(outcome.after);
    return outcome.kill;
  }

  /** The freeze as stored now (not a node's cached view). */
  async freezeOf(tenantId: string): Promise<TenantFreeze | null> {
    const freeze = await readFreeze(this.deps.storage.db, tenantId);
    if (freeze === undefined) throw notFound('tenant', tenantId);
    return freeze;
  }

  private async finish(after: AfterCommit): Promise<void> {
    for (const signal of after.signals) await this.deps.signals.publish(signal);
    sendNotifications(this.deps, after.notices);
  }
}

/** A human of the tenant by id, or by e-mail address (any status: a departed owner's agents too). */
async function findOwner(trx: Trx, tenantId: string, ref: string): Promise<HumanRef | undefined> {
  const query = trx.selectFrom('humans').select(['id', 'email', 'name']).where('tenant_id', '=', tenantId);
  if (ref.includes('@')) {
    return query.where((eb) => eb(eb.fn('lower', ['email']), '=', ref.toLowerCase())).executeTakeFirst();
  }
  return query.where('id', '=', ref).executeTakeFirst();
}

function actorJson(actor: AuditActor): { type: string; id: string } {
  return { type: actor.type, id: actor.id };
}
