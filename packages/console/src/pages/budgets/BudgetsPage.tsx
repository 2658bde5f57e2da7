import { Accordion, Badge, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import type { Budget, BudgetUsage, RateLimit } from '../../api/types';
import { Loaded } from '../../components/Loaded';
import { Meter } from '../../components/Meter';
import { PageHeader } from '../../components/PageHeader';
import { formatAmount, formatTime } from '../../lib/format';
import { useNames } from '../../lib/names';
import { SpendChart } from '../overview/charts';

interface BudgetDetail {
  budget: Budget;
  counters: Array<{ counter: string; used: number; remaining: number; percent: number; windowEnd: string }>;
}

/** Budgets per agent, role and tenant, how they are used over time, where the window is heading; rate limits. */
export function BudgetsPage() {
  const budgets = useQuery({
    queryKey: ['budgets'],
    queryFn: () => api.get<{ budgets: Budget[] }>('/v1/budgets'),
  });
  const limits = useQuery({
    queryKey: ['rate-limits'],
    queryFn: () => api.get<{ rateLimits: RateLimit[] }>('/v1/rate-limits'),
  });
  // Only an opened budget reads its counters and usage: a tenant may have many budgets.
  const [open, setOpen] = useState<string[]>([]);
  return (
    <>
      <PageHeader
        title="Budgets and spend"
        description="What agents may spend, what they spent, and when a budget will run out at today's pace."
      />
      <Loaded query={budgets} label="budgets">
        {(data) => (
          <Accordion multiple variant="separated" mb="lg" value={open} onChange={setOpen}>
            {data.budgets.map((budget) => (
              <Accordion.Item key={budget.id} value={budget.id}>
                <Accordion.Control>
                  <Group justify="space-between" pr="md">
                    <Text fw={500}>{budget.name}</Text>
                    <Group gap="xs">
                      <Badge variant="outline">{scopeText(budget)}</Badge>
                      <Text size="sm" c="dimmed">
                        {formatAmount(budget.limit, budget.unit)} per {budget.period}, on limit{' '}
                        {budget.onLimit}
                      </Text>
                    </Group>
                  </Group>
                </Accordion.Control>
                <Accordion.Panel>
                  {open.includes(budget.id) && <BudgetPanel budget={budget} />}
                </Accordion.Panel>
              </Accordion.Item>
            ))}
          </Accordion>
        )}
      </Loaded>
      <Title order={3} size="h4" mb="xs">
        Rate limits
      </Title>
      <Loaded query={limits} label="rate limits">
        {(data) =>
          data.rateLimits.length === 0 ? (
            <Text size="sm" c="dimmed">
              No rate limit is set.
            </Text>
          ) : (
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Applies to</Table.Th>
                  <Table.Th>Limit</Table.Th>
                  <Table.Th>Source</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.rateLimits.map((l) => (
                  <Table.Tr key={l.id}>
                    <Table.Td>{l.name}</Table.Td>
                    <Table.Td>
                      {l.scope}
                      {l.agentId ? ` ${l.agentId}` : ''}
                      {l.tier ? ` tier ${l.tier}` : ''}
                      {l.tool ? `, tool ${l.tool}` : ''}
                    </Table.Td>
                    <Table.Td>
                      {l.maxCalls} calls per {l.windowSeconds} s
                    </Table.Td>
                    <Table.Td>{l.source}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </Loaded>
    </>
  );
}

function scopeText(budget: Budget): string {
  if (budget.agentId) return `agent ${budget.agentId}`;
  if (budget.role) return `role ${budget.role}`;
  if (budget.tier) return `each ${budget.tier} agent`;
  return budget.scope;
}

/** Loaded when the panel opens: the most used counters now, 30 days of use, the burn-rate projection. */
function BudgetPanel({ budget }: { budget: Budget }) {
  const names = useNames();
  const detail = useQuery({
    queryKey: ['budgets', budget.id],
    queryFn: () => api.get<BudgetDetail>(`/v1/budgets/${budget.id}`),
  });
  const usage = useQuery({
    queryKey: ['budgets', budget.id, 'usage'],
    queryFn: () => api.get<BudgetUsage>(`/v1/budgets/${budget.id}/usage`, { days: 30 }),
  });
  return (
    <Stack>
      <Text size="sm">
        Alerts at {budget.thresholds.map((t) => `${t} %`).join(', ') || 'no threshold'}; at the limit the call
        is {budget.onLimit === 'deny' ? 'denied' : budget.onLimit}.
      </Text>
      <Loaded query={detail} label="this budget's counters">
        {(data) =>
          data.counters.length === 0 ? (
            <Text size="sm" c="dimmed">
              Nothing used in the current window.
            </Text>
          ) : (
            <Stack gap="xs">
              {data.counters.map((c) => (
                <Meter
                  key={c.counter}
                  label={names.agent(c.counter)}
                  used={c.used}
                  limit={budget.limit}
                  unit={budget.unit}
                />
              ))}
            </Stack>
          )
        }
      </Loaded>
      <Loaded query={usage} label="usage over time">
        {(data) => (
          <>
            <SpendChart series={data.series} dataKey="used" />
            <Text size="sm" data-testid="projection">
              {data.projection.windowEnd
                ? `At this pace the current window ends at ${formatAmount(data.projection.projectedUsed, budget.unit)} of ${formatAmount(budget.limit, budget.unit)} (${formatTime(data.projection.windowEnd)})${
                    data.projection.exhaustsAt
                      ? `; it runs out ${formatTime(data.projection.exhaustsAt)}.`
                      : '; it does not run out.'
                  }`
                : 'No projection: nothing used in the current window.'}
            </Text>
          </>
        )}
      </Loaded>
    </Stack>
  );
}
