import type { JsonValue } from '@warden/policy';
import { describeActor } from '../agents/agent-notify.js';
import { findHuman, type HumanRef } from '../agents/agent-store.js';
import type { AuditActor } from '../audit/audit-log.js';
import type { Notification } from '../notify/notifier.js';
import type { Trx } from '../storage/database.js';
import { activeHumans } from '../tenants/active-humans.js';
import type { HumanRole } from '../tenants/roles.js';

/** Who hears of a tenant freeze or thaw: the people who can act on it. */
const GUARDIAN_ROLES: readonly HumanRole[] = ['admin', 'security'];

/** How a notification names whoever pulled the switch: a person, or the part of Warden that did. */
export async function describeKiller(trx: Trx, tenantId: string, actor: AuditActor): Promise<string> {
  if (actor.type === 'human') return describeActor(await findHuman(trx, tenantId, actor.id), actor.id);
  return actor.type === 'system' ? `Warden (${actor.id})` : `agent ${actor.id}`;
}

/** Active admins and security people of the tenant. */
export function guardiansOf(trx: Trx, tenantId: string): Promise<HumanRef[]> {
  return activeHumans(trx, tenantId, { roles: GUARDIAN_ROLES });
}

export function tenantNotices(
  type: 'tenant.freeze' | 'tenant.thaw',
  tenantId: string,
  recipients: readonly HumanRef[],
  summary: string,
  data: { readonly [key: string]: JsonValue },
  at: number,
): Notification[] {
  return recipients.map((recipient) => ({
    type,
    tenantId,
    recipient: { humanId: recipient.id, email: recipient.email },
    subject: { type: 'tenant', id: tenantId },
    summary,
    data,
    at,
    collapseKey: `${type}:${tenantId}:${at}`,
  }));
}

/** The owner's one notice about a kill of all their agents. */
export function ownerNotice(
  tenantId: string,
  owner: HumanRef,
  summary: string,
  data: { readonly [key: string]: JsonValue },
  at: number,
): Notification {
  return {
    type: 'kill.owner',
    tenantId,
    recipient: { humanId: owner.id, email: owner.email },
    subject: { type: 'human', id: owner.id },
    summary,
    data,
    at,
  };
}
