import type { Selectable } from 'kysely';
import type { NotificationDeliveriesTable } from '../storage/schema.js';

export type DeliveryStatus = NotificationDeliveriesTable['status'];
export const DELIVERY_STATUSES = [
  'pending',
  'delivered',
  'dead',
] as const satisfies readonly DeliveryStatus[];

/** One outgoing message of one channel, as stored: the exact body and where its attempts stand. */
export interface Delivery {
  readonly id: string;
  readonly tenantId: string;
  readonly channel: string;
  /** Where it goes, without credentials, query or secret path (see `displayUrl`). */
  readonly url: string;
  readonly type: string;
  readonly body: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  /** Why the latest attempt failed; null once delivered. */
  readonly lastError: string | null;
  /** When the next attempt is due; null unless pending. */
  readonly nextAttemptAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export function deliveryFromRow(row: Selectable<NotificationDeliveriesTable>): Delivery {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    channel: row.channel,
    url: row.url,
    type: row.type,
    body: row.body,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * A URL as it may be stored and shown: no user info, query or fragment, and only the first
 * `keepSegments` path segments when the rest of the path is itself the secret (Slack's
 * `/services/T000/B000/XXXX`). The real URL lives only in the configuration.
 */
export function displayUrl(url: string, keepSegments?: number): string {
  const parsed = new URL(url);
  if (keepSegments === undefined) return `${parsed.origin}${parsed.pathname}`;
  const segments = parsed.pathname.split('/').filter(Boolean);
  const kept = segments.slice(0, keepSegments).map((segment) => `/${segment}`);
  return `${parsed.origin}${kept.join('')}${segments.length > keepSegments ? '/…' : ''}`;
}
