import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import type { Agent, Human } from '../api/types';

/**
 * Names for ids: rows are written for people, so `usr_…` becomes "Lena Fischer" and `agt_…` becomes
 * "support-assistant". One cached read of each list; an id not in it is shown as it is.
 */
export function useNames(): {
  agent: (id: string) => string;
  human: (id: string) => string;
  agents: Array<{ value: string; label: string }>;
} {
  const agents = useQuery({
    queryKey: ['names', 'agents'],
    queryFn: () => api.get<{ agents: Agent[] }>('/v1/agents', { limit: 500 }),
    staleTime: 60_000,
  });
  const humans = useQuery({
    queryKey: ['names', 'humans'],
    queryFn: () => api.get<{ humans: Human[] }>('/v1/humans'),
    staleTime: 60_000,
  });
  const agentNames = new Map(agents.data?.agents.map((a) => [a.id, a.name]));
  const humanNames = new Map(humans.data?.humans.map((h) => [h.id, h.name]));
  return {
    agent: (id) => agentNames.get(id) ?? id,
    human: (id) => humanNames.get(id) ?? id,
    agents: (agents.data?.agents ?? []).map((a) => ({ value: a.id, label: a.name })),
  };
}
