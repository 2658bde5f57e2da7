import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf } from '../../http/schemas.js';
import type { DeliveryQueue } from '../delivery-queue.js';
import { ADMINS, DeliverySchema, deliveryJson } from './delivery-schemas.js';

const Params = Type.Object({ id: IdOf('ntf') }, { additionalProperties: false });

const Response = Type.Object({ delivery: DeliverySchema });

/**
 * POST /v1/notifications/deliveries/:id/replay: sends a dead (or delivered) delivery again, with the
 * same body and id (receivers that deduplicate by `warden-delivery` see a repeat), attempts reset.
 * 202: the first attempt has started; the delivery shows how it went.
 */
export function registerReplayDelivery(app: App, queue: DeliveryQueue): void {
  app.post(
    '/v1/notifications/deliveries/:id/replay',
    {
      config: { auth: ADMINS },
      schema: {
        tags: ['notifications'],
        summary: 'Replay a dead or delivered notification (admin)',
        params: Params,
        response: { 202: Response, ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => {
      const delivery = await queue.replay(humanOf(request).tenantId, request.params.id);
      return reply.status(202).send({ delivery: deliveryJson(delivery) });
    },
  );
}
