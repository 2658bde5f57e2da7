import { Group } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { Agent } from '../../api/types';
import { ConfirmAction } from '../../components/ConfirmAction';

/** Suspend, resume, retire, kill and reset the breaker: each behind a confirmation, each the API's own route. */
export function AgentActions({ agent }: { agent: Agent }) {
  const queryClient = useQueryClient();
  const path = `/v1/agents/${encodeURIComponent(agent.id)}`;
  const after = async <T,>(promise: Promise<T>) => {
    const result = await promise;
    await queryClient.invalidateQueries({ queryKey: ['agent', agent.id] });
    await queryClient.invalidateQueries({ queryKey: ['agents'] });
    return result;
  };
  const optional = (text: string) => (text ? { reason: text } : {});

  return (
    <Group gap="xs">
      {agent.status === 'active' && (
        <ConfirmAction
          label="Suspend"
          title={`Suspend ${agent.name}?`}
          color="yellow"
          field={{ name: 'reason', label: 'Reason', required: true }}
          onConfirm={(reason) => after(api.post(`${path}/suspend`, { reason }))}
        >
          Its calls are denied from the next one on, and its pending approvals are cancelled. You can resume
          it later.
        </ConfirmAction>
      )}
      {agent.status === 'suspended' && (
        <ConfirmAction
          label="Resume"
          title={`Resume ${agent.name}?`}
          color="green"
          onConfirm={() => after(api.post(`${path}/resume`, {}))}
        >
          Its calls are decided by the policies again.
        </ConfirmAction>
      )}
      {agent.breaker && (
        <ConfirmAction
          label="Reset breaker"
          title={`Reset the circuit breaker of ${agent.name}?`}
          field={{ name: 'comment', label: 'Comment' }}
          onConfirm={(comment) => after(api.post(`${path}/breaker/reset`, comment ? { comment } : {}))}
        >
          The breaker closes and its calls are decided again.
        </ConfirmAction>
      )}
      {agent.status !== 'retired' && (
        <ConfirmAction
          label="Kill"
          title={`Kill ${agent.name}?`}
          color="red"
          field={{ name: 'reason', label: 'Reason' }}
          onConfirm={(reason) =>
            after(api.post(`/v1/kill/agents/${encodeURIComponent(agent.id)}`, optional(reason)))
          }
        >
          The kill switch suspends the agent at once on every node and cancels its pending approvals.
        </ConfirmAction>
      )}
      {agent.status !== 'retired' && (
        <ConfirmAction
          label="Retire"
          title={`Retire ${agent.name}?`}
          color="gray"
          field={{ name: 'reason', label: 'Reason' }}
          onConfirm={(reason) => after(api.post(`${path}/retire`, optional(reason)))}
        >
          Retiring is final: its keys stop working and it cannot be resumed.
        </ConfirmAction>
      )}
    </Group>
  );
}
