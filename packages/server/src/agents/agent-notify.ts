import type { JsonValue } from '@warden/policy';
import type { FastifyBaseLogger } from 'fastify';
import type { Notification, Notifier } from '../notify/notifier.js';
import type { Agent } from './agent.js';
import type { HumanRef } from './agent-store.js';

export interface NotifyDeps {
  readonly notifier: Notifier;
  readonly log: FastifyBaseLogger;
}

/**
 * Sends after the change has committed and does not wait: a slow or failing channel must neither
 * delay nor undo the governance change it reports, so failures are only logged.
 */
export function sendNotifications(deps: NotifyDeps, notifications: readonly Notification[]): void {
  for (const notification of notifications) {
    const failed = (error: unknown) =>
      deps.log.warn({ err: error, type: notification.type }, 'notification failed');
    try {
      deps.notifier.notify(notification).catch(failed);
    } catch (error) {
      failed(error);
    }
  }
}

/** One notification about `agent` for `recipient`. */
export function agentNotification(
  type: string,
  agent: Agent,
  recipient: HumanRef,
  summary: string,
  data: { readonly [key: string]: JsonValue },
  at: number,
): Notification {
  return {
    type,
    tenantId: agent.tenantId,
    recipient: { humanId: recipient.id, email: recipient.email },
    subject: { type: 'agent', id: agent.id },
    summary,
    data: { agentName: agent.name, ...data },
    at,
  };
}

/** How a notification names whoever acted. */
export function describeActor(actor: HumanRef | undefined, fallbackId: string): string {
  if (!actor) return fallbackId;
  return actor.name && actor.name !== actor.email ? `${actor.name} <${actor.email}>` : actor.email;
}
