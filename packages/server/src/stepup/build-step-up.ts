import type { FastifyBaseLogger } from 'fastify';
import type { ApprovalOptions } from '../approvals/approval-service.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/config.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { Storage } from '../storage/database.js';
import { FreshIdentityGate, MintedProofSource } from './fresh-identity.js';
import { ReauthSecrets } from './reauth-secret.js';
import { StepUpHooks } from './step-up-hooks.js';
import { StepUpRequests } from './step-up-requests.js';

/**
 * The parts of step-up re-authentication approvals need before they exist (the gate a vote passes,
 * the listener that sends hook requests); the route service is built after ApprovalService. A new
 * proof source (the console's recent sign-in) is added to the gate's list here.
 */
export function buildStepUp(deps: {
  readonly config: Config;
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly secretBox: SecretBox;
  readonly approvalOptions: ApprovalOptions;
  readonly log: FastifyBaseLogger;
  readonly clock: () => number;
}) {
  const { config, storage, audit, clock } = deps;
  const publicOnly = config.apiUpstreamNetworks === 'public';
  const hooks = new StepUpHooks({ storage, audit, box: deps.secretBox, clock, publicOnly });
  return {
    gate: new FreshIdentityGate([new MintedProofSource()]),
    secrets: new ReauthSecrets({ storage, audit, clock }),
    hooks,
    requests: new StepUpRequests({
      storage,
      hooks,
      routing: deps.approvalOptions,
      ttlSeconds: config.stepUpTtlSeconds,
      publicOnly,
      log: deps.log,
      clock,
      retryBaseMs: config.webhookRetryBaseMs,
    }),
  };
}
