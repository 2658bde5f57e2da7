import type { App } from '../../http/app.js';
import type { AgentCache } from '../agent-cache.js';
import type { AgentDeps } from '../agent-deps.js';
import { AgentLifecycle } from '../agent-lifecycle.js';
import { AgentService } from '../agent-service.js';
import { AgentSpawner } from '../agent-spawn.js';
import { registerActivateAgent } from './activate-agent.js';
import { registerCreateAgent } from './create-agent.js';
import { registerGetAgent } from './get-agent.js';
import { registerListAgents } from './list-agents.js';
import { registerResumeAgent } from './resume-agent.js';
import { registerRetireAgent } from './retire-agent.js';
import { registerSpawnAgent } from './spawn-agent.js';
import { registerSuspendAgent } from './suspend-agent.js';
import { registerUpdateAgent } from './update-agent.js';

/** The agent registry's routes: /v1/agents and its lifecycle and spawn endpoints. */
export function registerAgentRoutes(
  app: App,
  deps: Omit<AgentDeps, 'log'> & { agentCache: AgentCache },
): void {
  const services = { ...deps, log: app.log };
  const agents = new AgentService(services);
  const lifecycle = new AgentLifecycle(services);
  registerCreateAgent(app, agents);
  registerListAgents(app, agents);
  registerGetAgent(app, agents);
  registerUpdateAgent(app, agents);
  registerActivateAgent(app, lifecycle);
  registerSuspendAgent(app, lifecycle);
  registerResumeAgent(app, lifecycle);
  registerRetireAgent(app, lifecycle);
  registerSpawnAgent(app, new AgentSpawner(services, deps.agentCache));
}
