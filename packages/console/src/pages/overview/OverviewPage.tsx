import { Anchor, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { api } from '../../api/client';
import type { Overview } from '../../api/types';
import { Loaded } from '../../components/Loaded';
import { AgentLink } from '../../components/links';
import { Meter } from '../../components/Meter';
import { PageHeader } from '../../components/PageHeader';
import { formatAmount, relative } from '../../lib/format';
import { CountBars, DecisionsChart, SpendChart } from './charts';

/** What a person needs at a glance: the fleet, spend against budgets, what waits for them, what went wrong. */
export function OverviewPage() {
  const overview = useQuery({
    queryKey: ['overview'],
    queryFn: () => api.get<Overview>('/v1/console/overview'),
    refetchInterval: 30_000,
  });
  return (
    <>
      <PageHeader
        title="Overview"
        description="Agents, spend, decisions and what waits for you, for this tenant."
      />
      <Loaded query={overview} label="the overview">
        {(data) => <OverviewBody data={data} />}
      </Loaded>
    </>
  );
}

function Stat({ label, value, to, testId }: { label: string; value: string; to?: string; testId?: string }) {
  return (
    <Card withBorder>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text size="xl" fw={700} data-testid={testId}>
        {to ? (
          <Anchor component={Link} to={to} inherit>
            {value}
          </Anchor>
        ) : (
          value
        )}
      </Text>
    </Card>
  );
}

function OverviewBody({ data }: { data: Overview }) {
  return (
    <Stack>
      <SimpleGrid cols={{ base: 2, md: 4 }}>
        {data.waiting && (
          <Stat
            label="Waiting for you"
            value={`${data.waiting.approvals}${data.waiting.more ? '+' : ''}`}
            to="/approvals"
            testId="waiting-count"
          />
        )}
        {data.incidents && (
          <Stat label="Open incidents" value={String(data.incidents.open)} to="/incidents" />
        )}
        {data.spend && (
          <Stat label="Spend today" value={formatAmount(data.spend.today.usd, 'usd')} to="/budgets" />
        )}
        {data.spend && (
          <Stat label="Spend this month" value={formatAmount(data.spend.month.usd, 'usd')} to="/budgets" />
        )}
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {data.agents && (
          <Card withBorder>
            <Title order={3} size="h5" mb="xs">
              Agents by status
            </Title>
            <CountBars counts={data.agents.byStatus} label="Agents by status" />
          </Card>
        )}
        {data.agents && (
          <Card withBorder>
            <Title order={3} size="h5" mb="xs">
              Agents by trust tier
            </Title>
            <CountBars counts={data.agents.byTier} label="Agents by trust tier" />
          </Card>
        )}
        {data.decisions24h && (
          <Card withBorder>
            <Title order={3} size="h5" mb="xs">
              Decisions in the last 24 hours
            </Title>
            <DecisionsChart buckets={data.decisions24h} />
          </Card>
        )}
        {data.spend && (
          <Card withBorder>
            <Title order={3} size="h5" mb="xs">
              Spend over 30 days
            </Title>
            <SpendChart series={data.spend.series} />
          </Card>
        )}
      </SimpleGrid>
      {data.spend && data.spend.budgets.length > 0 && (
        <Card withBorder>
          <Title order={3} size="h5" mb="xs">
            Budgets
          </Title>
          <Stack gap="sm">
            {data.spend.budgets.map((budget) => (
              <Meter
                key={budget.id}
                label={`${budget.name} (${budget.scope}, per ${budget.window})`}
                used={budget.used}
                limit={budget.limit}
                unit={budget.unit}
              />
            ))}
          </Stack>
        </Card>
      )}
      {data.anomalies && (
        <Card withBorder>
          <Title order={3} size="h5" mb="xs">
            Recent anomalies
          </Title>
          {data.anomalies.length === 0 ? (
            <Text size="sm" c="dimmed">
              No anomalies recently.
            </Text>
          ) : (
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Agent</Table.Th>
                  <Table.Th>What</Table.Th>
                  <Table.Th>When</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.anomalies.map((anomaly) => (
                  <Table.Tr key={anomaly.eventId}>
                    <Table.Td>
                      <AgentLink id={anomaly.agentId}>{anomaly.agentName ?? anomaly.agentId}</AgentLink>
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        <Text size="sm" fw={500}>
                          {anomaly.kind === 'breaker_trip'
                            ? 'breaker tripped'
                            : (anomaly.metric ?? 'anomaly')}
                        </Text>
                        <Text size="sm">{anomaly.detail}</Text>
                      </Group>
                    </Table.Td>
                    <Table.Td>{relative(anomaly.at)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Card>
      )}
    </Stack>
  );
}
