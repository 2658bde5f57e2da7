import { Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { AgentBudget, RateLimit } from '../../api/types';
import { Loaded } from '../../components/Loaded';
import { Meter } from '../../components/Meter';
import { Section } from './Section';

/** The budgets that govern the agent now (used in the current window) and the rate limits that apply to it. */
export function BudgetsSection({ agentId }: { agentId: string }) {
  const budgets = useQuery({
    queryKey: ['agent', agentId, 'budgets'],
    queryFn: () => api.get<{ budgets: AgentBudget[] }>(`/v1/agents/${encodeURIComponent(agentId)}/budgets`),
  });
  const limits = useQuery({
    queryKey: ['rate-limits'],
    queryFn: () => api.get<{ rateLimits: RateLimit[] }>('/v1/rate-limits'),
  });
  return (
    <Section title="Budgets and rate limits">
      <Loaded query={budgets} label="budgets">
        {(data) =>
          data.budgets.length === 0 ? (
            <Text size="sm" c="dimmed">
              No budget governs this agent.
            </Text>
          ) : (
            <Stack gap="sm">
              {data.budgets.map((b) => (
                <Meter
                  key={b.budget.id}
                  label={`${b.budget.name} (per ${b.budget.period})`}
                  used={b.used}
                  limit={b.budget.limit}
                  unit={b.budget.unit}
                />
              ))}
            </Stack>
          )
        }
      </Loaded>
      <Title order={4} size="h6" mt="md" mb="xs">
        Rate limits
      </Title>
      <Loaded query={limits} label="rate limits">
        {(data) => {
          const applying = data.rateLimits.filter((l) => l.agentId === null || l.agentId === agentId);
          return applying.length === 0 ? (
            <Text size="sm" c="dimmed">
              No rate limit applies.
            </Text>
          ) : (
            <Table>
              <Table.Tbody>
                {applying.map((l) => (
                  <Table.Tr key={l.id}>
                    <Table.Td>{l.name}</Table.Td>
                    <Table.Td>
                      {l.maxCalls} calls per {l.windowSeconds} s{l.tool ? ` of ${l.tool}` : ''}
                      {l.tier ? ` (tier ${l.tier})` : ''}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          );
        }}
      </Loaded>
    </Section>
  );
}
