import { Accordion, Badge, Code, Group, Table, Tabs, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { PolicySet } from '../../api/types';
import { EffectBadge } from '../../components/badges';
import { Loaded } from '../../components/Loaded';
import { PageHeader } from '../../components/PageHeader';
import { formatTime } from '../../lib/format';
import { VersionHistory } from './VersionHistory';

/** The active policy version, its policies and rules with their owners, and the history of versions. */
export function PoliciesPage() {
  const active = useQuery({ queryKey: ['policies'], queryFn: () => api.get<PolicySet>('/v1/policies') });
  return (
    <>
      <PageHeader
        title="Policies"
        description="The rules every agent call is decided by. Policies are YAML in git; this page shows what is active."
      />
      <Tabs defaultValue="active" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="active">Active version</Tabs.Tab>
          <Tabs.Tab value="history">History and diff</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="active" pt="md">
          <Loaded query={active} label="the active policies">
            {(data) => <PolicySetView set={data} />}
          </Loaded>
        </Tabs.Panel>
        <Tabs.Panel value="history" pt="md">
          <VersionHistory />
        </Tabs.Panel>
      </Tabs>
    </>
  );
}

export function PolicySetView({ set }: { set: PolicySet }) {
  if (!set.version)
    return (
      <Text c="dimmed" size="sm">
        This tenant has no policies: every call is denied.
      </Text>
    );
  return (
    <>
      <Text size="sm" mb="sm">
        Version <Code>{set.version.slice(0, 12)}</Code>, activated {formatTime(set.activatedAt)} by{' '}
        {set.activatedBy ?? 'unknown'}, {set.ruleCount} rules.
      </Text>
      <Accordion multiple variant="separated">
        {set.policies.map((policy) => (
          <Accordion.Item key={policy.name} value={policy.name}>
            <Accordion.Control>
              <Group justify="space-between" pr="md">
                <Group gap="xs">
                  <Text fw={500}>{policy.name}</Text>
                  {policy.kind !== 'Policy' && <Badge variant="outline">{policy.kind}</Badge>}
                </Group>
                <Text size="sm" c="dimmed">
                  owner {policy.owner ?? '—'} · {policy.rules.length} rules
                </Text>
              </Group>
            </Accordion.Control>
            <Accordion.Panel>
              {policy.description && (
                <Text size="sm" mb="xs">
                  {policy.description}
                </Text>
              )}
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Rule</Table.Th>
                    <Table.Th>Effect</Table.Th>
                    <Table.Th>Tools</Table.Th>
                    <Table.Th>When</Table.Th>
                    <Table.Th>Reason</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {policy.rules.map((rule) => (
                    <Table.Tr key={rule.id}>
                      <Table.Td className="mono">{rule.id}</Table.Td>
                      <Table.Td>
                        <EffectBadge effect={rule.effect} />
                      </Table.Td>
                      <Table.Td className="mono">{rule.tools.join(', ')}</Table.Td>
                      <Table.Td className="mono">{rule.when ?? '—'}</Table.Td>
                      <Table.Td>
                        <Text size="xs">{rule.reason}</Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Accordion.Panel>
          </Accordion.Item>
        ))}
      </Accordion>
    </>
  );
}
