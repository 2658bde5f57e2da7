import type { App } from '../../http/app.js';
import type { DeliveryQueue } from '../delivery-queue.js';
import { registerListDeliveries } from './list-deliveries.js';
import { registerReplayDelivery } from './replay-delivery.js';

export interface NotificationRouteDeps {
  readonly queue: DeliveryQueue;
}

/** The dead-letter queue's API: list deliveries, replay one. */
export function registerNotificationRoutes(app: App, deps: NotificationRouteDeps): void {
  registerListDeliveries(app, deps.queue);
  registerReplayDelivery(app, deps.queue);
}
