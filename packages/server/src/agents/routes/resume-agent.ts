import type { App } from '../../http/app.js';
import { StrictObject } from '../../http/schemas.js';
import type { AgentLifecycle } from '../agent-lifecycle.js';
import { registerTransition } from './transition-route.js';

/** POST /v1/agents/:id/resume: security or an admin lets a suspended agent work again. */
export function registerResumeAgent(app: App, lifecycle: AgentLifecycle): void {
  registerTransition(app, lifecycle, {
    action: 'resume',
    auth: { kind: 'human', roles: ['security'] },
    summary: 'Resume a suspended agent (admin, security)',
    body: StrictObject({}),
  });
}
