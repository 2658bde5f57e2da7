import type { FastifyBaseLogger } from 'fastify';
import { retryDelay } from '../notify/backoff.js';
import { postAttempt } from '../notify/post.js';
import { SIGNATURE_HEADER, signWebhook } from '../notify/webhook-notifier.js';
import type { RollbackCall } from './approval-effects.js';
import type { RollbackCaller } from './approval-service.js';

const ATTEMPTS = 4;

/**
 * POSTs a rollback request to the agent's webhook, signed like every Warden webhook when a secret is
 * configured, retried with backoff. The incident is already recorded and audited; a rollback that
 * never gets through is logged as an error for someone to follow up.
 */
export class WebhookRollbackCaller implements RollbackCaller {
  constructor(
    private readonly secret: string | undefined,
    private readonly log: FastifyBaseLogger,
    private readonly retryBaseMs: number,
  ) {}

  async rollback(call: RollbackCall): Promise<void> {
    const body = JSON.stringify(call.body);
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const headers: Record<string, string> = { 'warden-attempt': String(attempt) };
      if (this.secret)
        headers[SIGNATURE_HEADER] = signWebhook(this.secret, body, Math.floor(Date.now() / 1000));
      const failure = await postAttempt(call.url, body, headers, 5_000);
      if (failure === null) return;
      if (attempt === ATTEMPTS) {
        this.log.error(
          { agentId: call.agentId, failure, approvalId: call.body.approvalId },
          'rollback webhook failed',
        );
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, retryDelay(attempt, this.retryBaseMs)).unref());
    }
  }
}
