import { type Static, Type } from 'typebox';
import { IsoTime, toIso } from '../../http/schemas.js';
import { DELIVERY_STATUSES, type Delivery } from '../delivery.js';

/** Deliveries hold what was said about whom: only the tenant's admins see or replay them. */
export const ADMINS = { kind: 'human', roles: [] } as const;

export const DeliveryStatusSchema = Type.Enum([...DELIVERY_STATUSES]);

export const DeliverySchema = Type.Object({
  id: Type.String(),
  channel: Type.String({ description: 'webhook or slack' }),
  url: Type.String({ description: 'where it goes, without credentials, query or secret path' }),
  type: Type.String({ description: 'the notification type (agent.update, approval.request, ...)' }),
  status: DeliveryStatusSchema,
  attempts: Type.Integer({ minimum: 0 }),
  lastError: Type.Union([Type.String(), Type.Null()], {
    description: 'why the latest attempt failed; null once delivered',
  }),
  nextAttemptAt: Type.Union([IsoTime, Type.Null()], {
    description: 'when the next attempt is due; null unless pending',
  }),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  body: Type.Unknown({ description: 'the exact JSON sent on every attempt' }),
});

export function deliveryJson(delivery: Delivery): Static<typeof DeliverySchema> {
  return {
    id: delivery.id,
    channel: delivery.channel,
    url: delivery.url,
    type: delivery.type,
    status: delivery.status,
    attempts: delivery.attempts,
    lastError: delivery.lastError,
    nextAttemptAt: toIso(delivery.nextAttemptAt),
    createdAt: toIso(delivery.createdAt),
    updatedAt: toIso(delivery.updatedAt),
    body: JSON.parse(delivery.body) as unknown,
  };
}
