import { Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { Approval, AuditEvent } from '../../api/types';
import { can } from '../../auth/permissions';
import { useHuman } from '../../auth/session';
import { EffectBadge, StatusBadge } from '../../components/badges';
import { Loaded } from '../../components/Loaded';
import { ApprovalLink } from '../../components/links';
import { relative } from '../../lib/format';
import { useNames } from '../../lib/names';
import { describeEvent } from '../audit/describe-event';
import { Section } from './Section';

/**
 * What the agent did lately. Auditors (and admins) read it from the audit log; everyone else sees the
 * agent's approval history, which any human may read.
 */
export function ActivitySection({ agentId }: { agentId: string }) {
  const human = useHuman();
  return can.readAudit(human) ? <AuditActivity agentId={agentId} /> : <ApprovalActivity agentId={agentId} />;
}

function AuditActivity({ agentId }: { agentId: string }) {
  const names = useNames();
  const events = useQuery({
    queryKey: ['agent', agentId, 'activity'],
    queryFn: () =>
      api.get<{ events: AuditEvent[] }>('/v1/audit/events', { agent: agentId, order: 'desc', limit: 20 }),
  });
  return (
    <Section title="Recent activity">
      <Loaded query={events} label="recent activity">
        {(data) =>
          data.events.length === 0 ? (
            <Text size="sm" c="dimmed">
              Nothing recorded yet.
            </Text>
          ) : (
            <Table>
              <Table.Tbody>
                {data.events.map((event) => (
                  <Table.Tr key={event.id}>
                    <Table.Td w={110}>{relative(event.time)}</Table.Td>
                    <Table.Td>{describeEvent(event, names)}</Table.Td>
                    <Table.Td w={90}>
                      <EffectBadge effect={event.effect} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </Loaded>
    </Section>
  );
}

function ApprovalActivity({ agentId }: { agentId: string }) {
  const approvals = useQuery({
    queryKey: ['approvals', 'agent', agentId],
    queryFn: () => api.get<{ approvals: Approval[] }>('/v1/approvals', { agentId, limit: 20 }),
  });
  return (
    <Section title="Recent approval requests">
      <Loaded query={approvals} label="approval history">
        {(data) =>
          data.approvals.length === 0 ? (
            <Text size="sm" c="dimmed">
              No approval request yet.
            </Text>
          ) : (
            <Table>
              <Table.Tbody>
                {data.approvals.map((approval) => (
                  <Table.Tr key={approval.id}>
                    <Table.Td w={110}>{relative(approval.createdAt)}</Table.Td>
                    <Table.Td>
                      <ApprovalLink id={approval.id}>
                        {approval.kind === 'action' ? approval.tool : approval.kind}
                      </ApprovalLink>
                    </Table.Td>
                    <Table.Td w={110}>
                      <StatusBadge status={approval.status} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </Loaded>
    </Section>
  );
}
