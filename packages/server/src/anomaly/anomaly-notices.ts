import type { JsonValue } from '@warden/policy';
import type { Kysely } from 'kysely';
import type { Agent } from '../agents/agent.js';
import { agentNotification } from '../agents/agent-notify.js';
import type { HumanRef } from '../agents/agent-store.js';
import type { Notification } from '../notify/notifier.js';
import type { Database } from '../storage/schema.js';
import type { HumanRole } from '../tenants/roles.js';

/**
 * Who hears about an agent's anomalies and breaker trips: its accountable owner and every active
 * human with the security role (each once, even when the owner is security too).
 */
export async function watchersOf(db: Kysely<Database>, agent: Agent): Promise<HumanRef[]> {
  const rows = await db
    .selectFrom('humans')
    .select(['id', 'email', 'name', 'roles'])
    .where('tenant_id', '=', agent.tenantId)
    .where('status', '=', 'active')
    .execute();
  // Tenants hold people in the hundreds and roles are a JSON list: filtering here stays portable.
  return rows
    .filter((row) => row.id === agent.ownerId || (JSON.parse(row.roles) as HumanRole[]).includes('security'))
    .map(({ id, email, name }) => ({ id, email, name }));
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
