import { Badge, Table, Tabs, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { Approval } from '../../api/types';
import { waitingQuery } from '../../app/approval-stream';
import { StatusBadge } from '../../components/badges';
import { Loaded } from '../../components/Loaded';
import { ApprovalLink } from '../../components/links';
import { PageHeader } from '../../components/PageHeader';
import { argsSummary, countdown, relative } from '../../lib/format';
import { useNames } from '../../lib/names';
import { useNow } from '../../lib/use-now';

/** The inbox: what waits for me (live over the approval stream), everything pending, and the history. */
export function ApprovalsPage() {
  const waiting = useQuery(waitingQuery);
  const pending = useQuery({
    queryKey: ['approvals', 'pending'],
    queryFn: () => api.get<{ approvals: Approval[] }>('/v1/approvals', { status: 'pending', limit: 200 }),
  });
  const history = useQuery({
    queryKey: ['approvals', 'history'],
    queryFn: () => api.get<{ approvals: Approval[] }>('/v1/approvals', { limit: 100 }),
  });
  const count = waiting.data?.approvals.length;
  return (
    <>
      <PageHeader
        title="Approvals"
        description="Requests that need a human, with everything you need to decide."
      />
      <Tabs defaultValue="mine" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab
            value="mine"
            rightSection={
              count ? (
                <Badge size="sm" color="red.9">
                  {count}
                </Badge>
              ) : undefined
            }
          >
            Waiting for me
          </Tabs.Tab>
          <Tabs.Tab value="pending">All pending</Tabs.Tab>
          <Tabs.Tab value="history">History</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="mine" pt="md">
          <Text size="sm" data-testid="waiting-summary" mb="sm">
            {count === undefined
              ? ''
              : count === 0
                ? 'Nothing waits for you.'
                : `${count} request${count === 1 ? '' : 's'} wait${count === 1 ? 's' : ''} for you.`}
          </Text>
          <Loaded query={waiting} label="your approvals">
            {(data) => <ApprovalTable approvals={data.approvals} />}
          </Loaded>
        </Tabs.Panel>
        <Tabs.Panel value="pending" pt="md">
          <Loaded query={pending} label="pending approvals">
            {(data) => <ApprovalTable approvals={data.approvals} />}
          </Loaded>
        </Tabs.Panel>
        <Tabs.Panel value="history" pt="md">
          <Loaded query={history} label="approval history">
            {(data) => (
              <ApprovalTable approvals={data.approvals.filter((a) => a.status !== 'pending')} decided />
            )}
          </Loaded>
        </Tabs.Panel>
      </Tabs>
    </>
  );
}

function ApprovalTable({ approvals, decided = false }: { approvals: Approval[]; decided?: boolean }) {
  const names = useNames();
  const now = useNow();
  if (approvals.length === 0)
    return (
      <Text size="sm" c="dimmed">
        None.
      </Text>
    );
  return (
    <Table highlightOnHover>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Request</Table.Th>
          <Table.Th>Agent</Table.Th>
          <Table.Th>Status</Table.Th>
          <Table.Th>{decided ? 'Decided' : 'Deadline'}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {approvals.map((approval) => (
          <Table.Tr key={approval.id} data-testid="approval-row">
            <Table.Td>
              <ApprovalLink id={approval.id}>
                {approval.kind === 'action' ? approval.tool : `${approval.kind} request`}
              </ApprovalLink>
              <Text size="xs" c="dimmed">
                {approval.kind === 'action' ? argsSummary(approval.context.action?.args, 80) : ''}
              </Text>
            </Table.Td>
            <Table.Td>{approval.context.agent?.name ?? names.agent(approval.agentId)}</Table.Td>
            <Table.Td>
              <StatusBadge status={approval.status} />
            </Table.Td>
            <Table.Td>
              {decided
                ? `${relative(approval.decidedAt)}${approval.decidedBy ? ` by ${names.human(approval.decidedBy)}` : ''}`
                : countdown(approval.deadline, now)}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
