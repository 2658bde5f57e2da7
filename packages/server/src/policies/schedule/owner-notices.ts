import type { FastifyBaseLogger } from 'fastify';
import { sendNotifications } from '../../agents/agent-notify.js';
import type { Notification, Notifier } from '../../notify/notifier.js';
import type { Storage } from '../../storage/database.js';
import type { ImpactReport } from '../impact/impact-report.js';

/** An active agent whose allows the new version takes away, with its owner. */
export interface AffectedAgent {
  readonly agentId: string;
  readonly agentName: string;
  readonly ownerId: string;
  readonly ownerEmail: string;
  /** Recorded allows the new version turns into denies or reviews. */
  readonly count: number;
}

/** The agents of `report.agentsLosingAllows` that are active now, with their owners. */
export async function activeAgentsLosingAllows(
  storage: Storage,
  tenantId: string,
  report: ImpactReport,
): Promise<AffectedAgent[]> {
  const counts = new Map(report.agentsLosingAllows.map((a) => [a.agentId, a.count]));
  if (counts.size === 0) return [];
  const affected: AffectedAgent[] = [];
  const ids = [...counts.keys()];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await storage.db
      .selectFrom('agents as a')
      .innerJoin('humans as h', (join) =>
        join.onRef('h.id', '=', 'a.owner_id').onRef('h.tenant_id', '=', 'a.tenant_id'),
      )
      .select(['a.id', 'a.name', 'a.owner_id', 'h.email'])
      .where('a.tenant_id', '=', tenantId)
      .where('a.status', '=', 'active')
      .where('a.id', 'in', ids.slice(i, i + 500))
      .execute();
    for (const row of rows) {
      affected.push({
        agentId: row.id,
        agentName: row.name,
        ownerId: row.owner_id,
        ownerEmail: row.email,
        count: counts.get(row.id) ?? 0,
      });
    }
  }
  return affected.sort((a, b) => b.count - a.count || a.agentId.localeCompare(b.agentId));
}

/**
 * Tells each owner, once, which of their agents the new version takes allows from, and when it
 * becomes active (now, or at the end of the grace period). Best effort after the commit, like every
 * notification: a failing channel is logged and never undoes the change.
 */
export function tellOwners(
  deps: { readonly notifier: Notifier; readonly log: FastifyBaseLogger },
  tenantId: string,
  change: { readonly version: string; readonly scheduleId: string | null; readonly activateAt: number },
  affected: readonly AffectedAgent[],
  at: number,
): void {
  const byOwner = new Map<string, AffectedAgent[]>();
  for (const agent of affected) byOwner.set(agent.ownerId, [...(byOwner.get(agent.ownerId) ?? []), agent]);
  const when = change.scheduleId ? `on ${new Date(change.activateAt).toISOString()}` : 'now';
  const notifications: Notification[] = [...byOwner.entries()].map(([ownerId, agents]) => ({
    type: 'policy.impact',
    tenantId,
    recipient: { humanId: ownerId, email: agents[0]?.ownerEmail ?? '' },
    subject: change.scheduleId
      ? { type: 'policy_schedule', id: change.scheduleId }
      : { type: 'policy', id: change.version },
    summary:
      `Policy version ${change.version.slice(0, 12)} becomes active ${when} and takes allows away from ` +
      `${agents.length} of your agent${agents.length === 1 ? '' : 's'}: ` +
      agents.map((a) => `${a.agentName} (${a.count} recorded allow${a.count === 1 ? '' : 's'})`).join(', '),
    data: {
      version: change.version,
      scheduleId: change.scheduleId,
      activateAt: new Date(change.activateAt).toISOString(),
      agents: agents.map((a) => ({ id: a.agentId, name: a.agentName, allowsLost: a.count })),
    },
    at,
  }));
  sendNotifications(deps, notifications);
}
