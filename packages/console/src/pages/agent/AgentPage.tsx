import { Alert, Badge, Card, Group, SimpleGrid, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { getRouteApi } from '@tanstack/react-router';
import { api } from '../../api/client';
import type { Agent } from '../../api/types';
import { can } from '../../auth/permissions';
import { useHuman } from '../../auth/session';
import { StatusBadge } from '../../components/badges';
import { Loaded } from '../../components/Loaded';
import { PageHeader } from '../../components/PageHeader';
import { formatTime } from '../../lib/format';
import { useNames } from '../../lib/names';
import { ActivitySection } from './ActivitySection';
import { AgentActions } from './AgentActions';
import { BudgetsSection } from './BudgetsSection';
import { CapabilitiesSection } from './CapabilitiesSection';
import { GrantsSection } from './GrantsSection';
import { KeysSection } from './KeysSection';
import { TrustSection } from './TrustSection';

const route = getRouteApi('/agents/$agentId');

/** One agent: who it is, what it can do, what it may spend, what it did, and the levers on it. */
export function AgentPage() {
  const { agentId } = route.useParams();
  const agent = useQuery({
    queryKey: ['agent', agentId],
    queryFn: () => api.get<{ agent: Agent }>(`/v1/agents/${encodeURIComponent(agentId)}`),
  });
  return (
    <Loaded query={agent} label="this agent">
      {({ agent }) => <AgentBody agent={agent} />}
    </Loaded>
  );
}

function AgentBody({ agent }: { agent: Agent }) {
  const human = useHuman();
  const names = useNames();
  const manage = can.manageAgent(human, agent);
  return (
    <Stack>
      <PageHeader
        title={agent.name}
        description={agent.purpose}
        actions={manage ? <AgentActions agent={agent} /> : undefined}
      />
      {agent.breaker && (
        <Alert color="red" title="Circuit breaker open">
          Tripped {formatTime(agent.breaker.trippedAt)}: {agent.breaker.reason}. Every call is denied until a
          human resets it.
        </Alert>
      )}
      <Card withBorder>
        <SimpleGrid cols={{ base: 2, md: 4 }}>
          <Field label="Status">
            <StatusBadge status={agent.status} />
          </Field>
          <Field label="Trust tier">{agent.tier}</Field>
          <Field label="Risk">
            {agent.risk} ({agent.riskLevel})
          </Field>
          <Field label="Owner">{names.human(agent.ownerId)}</Field>
          <Field label="Roles">
            <Group gap={4}>
              {agent.roles.map((role) => (
                <Badge key={role} variant="outline">
                  {role}
                </Badge>
              ))}
            </Group>
          </Field>
          <Field label="Environments">{agent.environments.join(', ')}</Field>
          <Field label="Registered">{formatTime(agent.createdAt)}</Field>
          <Field label="Recertify by">{formatTime(agent.recertifyAt)}</Field>
        </SimpleGrid>
      </Card>
      <CapabilitiesSection agentId={agent.id} />
      <TrustSection agentId={agent.id} />
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <BudgetsSection agentId={agent.id} />
        <GrantsSection agentId={agent.id} manage={manage} />
      </SimpleGrid>
      <KeysSection agentId={agent.id} manage={manage} />
      <ActivitySection agentId={agent.id} />
    </Stack>
  );
}

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" component="div">
        {children}
      </Text>
    </div>
  );
}
