import type { App } from '../../http/app.js';
import type { AgentLifecycle } from '../agent-lifecycle.js';
import type { AgentService } from '../agent-service.js';
import type { AgentSpawner } from '../agent-spawn.js';
import { registerActivateAgent } from './activate-agent.js';
import { registerCreateAgent } from './create-agent.js';
import { registerGetAgent } from './get-agent.js';
import { registerListAgents } from './list-agents.js';
import { registerResumeAgent } from './resume-agent.js';
import { registerRetireAgent } from './retire-agent.js';
import { registerSpawnAgent } from './spawn-agent.js';
import { registerSuspendAgent } from './suspend-agent.js';
import { registerUpdateAgent } from './update-agent.js';

export interface AgentRouteServices {
  readonly agents: AgentService;
  readonly lifecycle: AgentLifecycle;
  readonly spawner: AgentSpawner;
}

/** The agent registry's routes: /v1/agents and its lifecycle and spawn endpoints. */
export function registerAgentRoutes(app: App, services: AgentRouteServices): void {
  registerCreateAgent(app, services.agents);
  registerListAgents(app, services.agents);
  registerGetAgent(app, services.agents);
  registerUpdateAgent(app, services.agents);
  registerActivateAgent(app, services.lifecycle);
  registerSuspendAgent(app, services.lifecycle);
  registerResumeAgent(app, services.lifecycle);
  registerRetireAgent(app, services.lifecycle);
  registerSpawnAgent(app, services.spawner);
}
