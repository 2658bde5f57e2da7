import { Button, Group, Select, Table, Text, TextInput } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { getRouteApi } from '@tanstack/react-router';
import { api } from '../../api/client';
import type { Agent } from '../../api/types';
import { StatusBadge } from '../../components/badges';
import { QueryError } from '../../components/Loaded';
import { AgentLink } from '../../components/links';
import { PageHeader } from '../../components/PageHeader';
import { relative } from '../../lib/format';
import { useNames } from '../../lib/names';
import type { AgentsSearch } from './agents-search';

const route = getRouteApi('/agents');

const STATUSES = ['pending', 'active', 'suspended', 'retired'];
const TIERS = ['sandbox', 'monitored', 'trusted'];
const RISKS = ['public', 'internal', 'pii', 'financial', 'phi'];
const ENVIRONMENTS = ['sandbox', 'staging', 'production'];

/** The inventory: every agent of the tenant with the CLI's filters. */
export function AgentsPage() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const names = useNames();
  const set = (key: keyof AgentsSearch, value: string | null) =>
    void navigate({ search: (prev: AgentsSearch) => ({ ...prev, [key]: value || undefined }) });

  const agents = useInfiniteQuery({
    queryKey: ['agents', search],
    queryFn: ({ pageParam }) =>
      api.get<{ agents: Agent[]; nextCursor: string | null }>('/v1/agents', {
        ...search,
        limit: 100,
        cursor: pageParam,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = agents.data?.pages.flatMap((p) => p.agents) ?? [];

  return (
    <>
      <PageHeader
        title="Agents"
        description="Every agent of this tenant: who owns it, what tier it has earned, whether it is active."
      />
      <Group mb="md" align="flex-end">
        <Select
          label="Status"
          data={STATUSES}
          value={search.status ?? null}
          onChange={(v) => set('status', v)}
          clearable
          w={140}
        />
        <Select
          label="Tier"
          data={TIERS}
          value={search.tier ?? null}
          onChange={(v) => set('tier', v)}
          clearable
          w={140}
        />
        <Select
          label="Risk"
          data={RISKS}
          value={search.risk ?? null}
          onChange={(v) => set('risk', v)}
          clearable
          w={150}
        />
        <Select
          label="Environment"
          data={ENVIRONMENTS}
          value={search.environment ?? null}
          onChange={(v) => set('environment', v)}
          clearable
          w={150}
        />
        <TextInput
          label="Role"
          defaultValue={search.role ?? ''}
          onBlur={(e) => set('role', e.currentTarget.value.trim())}
          w={170}
        />
        <TextInput
          label="Owner (usr_ id)"
          defaultValue={search.owner ?? ''}
          onBlur={(e) => set('owner', e.currentTarget.value.trim())}
          w={200}
        />
      </Group>
      {agents.isError ? (
        <QueryError error={agents.error} label="agents" />
      ) : (
        <Table striped highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Tier</Table.Th>
              <Table.Th>Risk</Table.Th>
              <Table.Th>Roles</Table.Th>
              <Table.Th>Owner</Table.Th>
              <Table.Th>Last active</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((agent) => (
              <Table.Tr key={agent.id}>
                <Table.Td>
                  <AgentLink id={agent.id}>{agent.name}</AgentLink>
                  <Text size="xs" c="dimmed" lineClamp={1}>
                    {agent.purpose}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <StatusBadge status={agent.breaker ? 'breaker open' : agent.status} />
                </Table.Td>
                <Table.Td>{agent.tier}</Table.Td>
                <Table.Td>{agent.risk}</Table.Td>
                <Table.Td>{agent.roles.join(', ')}</Table.Td>
                <Table.Td>{names.human(agent.ownerId)}</Table.Td>
                <Table.Td>{relative(agent.lastActiveAt)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {!agents.isPending && rows.length === 0 && !agents.isError && (
        <Text c="dimmed" mt="md">
          No agent matches these filters.
        </Text>
      )}
      {agents.hasNextPage && (
        <Button
          mt="md"
          variant="default"
          onClick={() => void agents.fetchNextPage()}
          loading={agents.isFetchingNextPage}
        >
          Load more
        </Button>
      )}
    </>
  );
}
