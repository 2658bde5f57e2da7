import { Alert, Card, Code, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { Incident, TenantFreeze } from '../../api/types';
import { can } from '../../auth/permissions';
import { useHuman } from '../../auth/session';
import { ConfirmAction } from '../../components/ConfirmAction';
import { Loaded } from '../../components/Loaded';
import { AgentLink, ApprovalLink } from '../../components/links';
import { PageHeader } from '../../components/PageHeader';
import { formatTime } from '../../lib/format';
import { useNames } from '../../lib/names';

/** Incidents with who is accountable, and the tenant's kill switch (freeze and thaw). */
export function IncidentsPage() {
  const human = useHuman();
  return (
    <>
      <PageHeader
        title="Incidents and kill switch"
        description="What went wrong and who is accountable; stop every agent of the tenant at once."
      />
      <Stack>
        <KillSwitch />
        {can.readIncidents(human) ? (
          <IncidentList />
        ) : (
          <Text size="sm" c="dimmed">
            Your roles do not include reading incidents (admin, security and auditor do).
          </Text>
        )}
      </Stack>
    </>
  );
}

function KillSwitch() {
  const human = useHuman();
  const queryClient = useQueryClient();
  const status = useQuery({
    queryKey: ['kill', 'tenant'],
    queryFn: () => api.get<TenantFreeze>('/v1/kill/tenant'),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['kill', 'tenant'] });
  return (
    <Card withBorder component="section" aria-label="Kill switch">
      <Title order={3} size="h5" mb="xs">
        Kill switch
      </Title>
      <Loaded query={status} label="the tenant's freeze">
        {({ tenant }) =>
          tenant.frozen ? (
            <Alert color="red" title="The tenant is frozen" data-testid="tenant-frozen">
              <Stack gap="xs">
                <Text size="sm">
                  Since {formatTime(tenant.frozenAt)}
                  {tenant.reason ? `: ${tenant.reason}` : ''}. Every agent call is denied.
                </Text>
                {can.thawTenant(human) && (
                  <Group>
                    <ConfirmAction
                      label="Thaw the tenant"
                      title="Thaw the tenant?"
                      color="green"
                      onConfirm={async () => {
                        await api.delete('/v1/kill/tenant');
                        await refresh();
                      }}
                    >
                      Agent calls are decided by the policies again. Agents suspended meanwhile stay
                      suspended.
                    </ConfirmAction>
                  </Group>
                )}
              </Stack>
            </Alert>
          ) : (
            <Group justify="space-between">
              <Text size="sm">The tenant is running: agent calls are decided by the policies.</Text>
              {can.freezeTenant(human) && (
                <ConfirmAction
                  label="Freeze the tenant"
                  title="Freeze every agent of this tenant?"
                  color="red"
                  field={{ name: 'reason', label: 'Reason', required: true }}
                  onConfirm={async (reason) => {
                    await api.post('/v1/kill/tenant', { reason });
                    await refresh();
                  }}
                >
                  Every agent call of the tenant is denied at once, on every node, until an admin thaws it.
                </ConfirmAction>
              )}
            </Group>
          )
        }
      </Loaded>
    </Card>
  );
}

/** The accountable chain the node records with each incident: agent → owner → invoker → approver. */
function chainText(detail: Record<string, unknown> | undefined, names: ReturnType<typeof useNames>): string {
  const accountable = detail?.accountable;
  if (!accountable || typeof accountable !== 'object') return '';
  const chain = accountable as Record<string, unknown>;
  const name = (value: unknown) =>
    typeof value !== 'string' || !value
      ? undefined
      : value.startsWith('agt_')
        ? names.agent(value)
        : value.startsWith('usr_')
          ? names.human(value)
          : value;
  const parts: string[] = [];
  for (const [key, label] of [
    ['agent', 'agent'],
    ['owner', 'owned by'],
    ['invoker', 'started by'],
    ['approver', 'approved by'],
  ] as const) {
    const who = name(chain[key]);
    if (who) parts.push(`${label} ${who}`);
  }
  return parts.join(' → ');
}

function IncidentList() {
  const names = useNames();
  const incidents = useQuery({
    queryKey: ['incidents'],
    queryFn: () => api.get<{ incidents: Incident[] }>('/v1/incidents', { limit: 100 }),
  });
  return (
    <Card withBorder component="section" aria-label="Incidents">
      <Title order={3} size="h5" mb="xs">
        Incidents
      </Title>
      <Loaded query={incidents} label="incidents">
        {(data) =>
          data.incidents.length === 0 ? (
            <Text size="sm" c="dimmed">
              No incident recorded.
            </Text>
          ) : (
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>When</Table.Th>
                  <Table.Th>What</Table.Th>
                  <Table.Th>Agent</Table.Th>
                  <Table.Th>Accountable chain</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.incidents.map((incident) => (
                  <Table.Tr key={incident.id}>
                    <Table.Td>{formatTime(incident.createdAt)}</Table.Td>
                    <Table.Td>
                      <Text size="sm" fw={500}>
                        {incident.kind.replace(/_/g, ' ')}
                      </Text>
                      <Text size="sm">{incident.summary}</Text>
                      {incident.approvalId && (
                        <ApprovalLink id={incident.approvalId} size="xs">
                          the review
                        </ApprovalLink>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <AgentLink id={incident.agentId}>{names.agent(incident.agentId)}</AgentLink>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{chainText(incident.detail, names) || '—'}</Text>
                      {incident.detail && (
                        <Code block style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
                          {JSON.stringify(incident.detail, null, 2)}
                        </Code>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </Loaded>
    </Card>
  );
}
