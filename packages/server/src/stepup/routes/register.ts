import type { App } from '../../http/app.js';
import type { ReauthSecrets } from '../reauth-secret.js';
import type { StepUpHooks } from '../step-up-hooks.js';
import type { StepUpService } from '../step-up-service.js';
import { registerReauthApproval } from './reauth-approval.js';
import { registerReauthSecretRoutes } from './reauth-secret-routes.js';
import { registerStepUpCallback } from './step-up-callback.js';
import { registerStepUpHookRoutes } from './step-up-hook-routes.js';

export interface StepUpRouteDeps {
  readonly service: StepUpService;
  readonly secrets: ReauthSecrets;
  readonly hooks: StepUpHooks;
}

/** Step-up re-authentication: proofs for Warden users, the hook and its callback for end customers. */
export function registerStepUpRoutes(app: App, deps: StepUpRouteDeps): void {
  registerReauthApproval(app, deps.service);
  registerReauthSecretRoutes(app, deps.secrets);
  registerStepUpHookRoutes(app, deps.hooks);
  registerStepUpCallback(app, deps.service);
}
