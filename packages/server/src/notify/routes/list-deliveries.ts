import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf } from '../../http/schemas.js';
import type { DeliveryQueue } from '../delivery-queue.js';
import { ADMINS, DeliverySchema, DeliveryStatusSchema, deliveryJson } from './delivery-schemas.js';

const Query = Type.Object(
  {
    status: Type.Optional(DeliveryStatusSchema),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    cursor: Type.Optional(IdOf('ntf')),
  },
  { additionalProperties: false },
);

const Page = Type.Object({
  deliveries: Type.Array(DeliverySchema),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

/** GET /v1/notifications/deliveries: outgoing notifications, newest first; `status=dead` is the dead-letter queue. */
export function registerListDeliveries(app: App, queue: DeliveryQueue): void {
  app.get(
    '/v1/notifications/deliveries',
    {
      config: { auth: ADMINS },
      schema: {
        tags: ['notifications'],
        summary: 'List notification deliveries (admin)',
        querystring: Query,
        response: { 200: Page, ...errorResponses() },
      },
    },
    async (request) => {
      const { status, limit, cursor } = request.query;
      const page = await queue.list(humanOf(request).tenantId, {
        limit: limit ?? 100,
        ...(status === undefined ? {} : { status }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      return { deliveries: page.deliveries.map(deliveryJson), nextCursor: page.nextCursor };
    },
  );
}
