import type { JsonValue } from '@warden/policy';
import type { Kysely } from 'kysely';
import type { Agent } from '../agents/agent.js';
import { agentNotification } from '../agents/agent-notify.js';
import type { HumanRef } from '../agents/agent-store.js';
import type { Notification } from '../notify/notifier.js';
import type { Database } from '../storage/schema.js';
import { activeHumans } from '../tenants/active-humans.js';

/**
 * Who hears about an agent's anomalies and breaker trips: its accountable owner and every active
 * human with the security role (each once, even when the owner is security too).
 */
export function watchersOf(db: Kysely<Database>, agent: Agent): Promise<HumanRef[]> {
  return activeHumans(db, agent.tenantId, { ids: [agent.ownerId], roles: ['security'] });
}

/** One notification per watcher, sharing a collapse key so shared channels post it once. */
export function watcherNotices(
  type: string,
  agent: Agent,
  watchers: readonly HumanRef[],
  summary: string,
  data: { readonly [key: string]: JsonValue },
  collapseKey: string,
  at: number,
): Notification[] {
  return watchers.map((watcher) => ({
    ...agentNotification(type, agent, watcher, summary, data, at),
    collapseKey,
  }));
}
