import type { AgentFacts } from '../input.js';
import type { AgentSelector } from '../model.js';

export type AgentMatcher = (agent: AgentFacts) => boolean;

/** Whether a policy's `spec.agents` selects an agent: every given criterion holds, any entry of a list. */
export function compileSelector(selector: AgentSelector): AgentMatcher {
  if (selectsEveryAgent(selector)) return () => true;
  const { ids, tiers, environments, roles } = selector;
  const labels = Object.entries(selector.labels);
  return (agent) => {
    if (ids.length > 0 && !ids.includes(agent.id)) return false;
    if (tiers.length > 0 && (agent.tier === undefined || !tiers.includes(agent.tier))) return false;
    if (
      environments.length > 0 &&
      (agent.environment === undefined || !environments.includes(agent.environment))
    ) {
      return false;
    }
    if (roles.length > 0 && !holdsAnyRole(agent.roles, roles)) return false;
    for (const [key, value] of labels) {
      if (!agent.labels || !Object.hasOwn(agent.labels, key) || agent.labels[key] !== value) return false;
    }
    return true;
  };
}

// A plain loop: this runs on every decision, and `some` with a closure allocates.
function holdsAnyRole(held: readonly string[] | undefined, wanted: readonly string[]): boolean {
  if (held === undefined) return false;
  for (const role of wanted) if (held.includes(role)) return true;
  return false;
}

export function selectsEveryAgent(selector: AgentSelector): boolean {
  return (
    selector.ids.length === 0 &&
    selector.roles.length === 0 &&
    selector.tiers.length === 0 &&
    selector.environments.length === 0 &&
    Object.keys(selector.labels).length === 0
  );
}
