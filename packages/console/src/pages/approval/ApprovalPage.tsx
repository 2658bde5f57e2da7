import { Alert, Badge, Card, Code, Group, List, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { getRouteApi } from '@tanstack/react-router';
import { api } from '../../api/client';
import type { Approval } from '../../api/types';
import { can } from '../../auth/permissions';
import { useHuman } from '../../auth/session';
import { StatusBadge } from '../../components/badges';
import { Loaded } from '../../components/Loaded';
import { AgentLink, TaskLink } from '../../components/links';
import { PageHeader } from '../../components/PageHeader';
import { countdown, formatAmount, formatTime } from '../../lib/format';
import { useNames } from '../../lib/names';
import { useNow } from '../../lib/use-now';
import { currentStepAsksReauth, initiatorOf } from './step-up';
import { VoteForm } from './VoteForm';

const route = getRouteApi('/approvals/$approvalId');

/** Why the API keeps a human from deciding, in words. */
const EXCLUDED_WHY: Record<string, string> = {
  requester: 'asked for it (separation of duties)',
  policy_owner: 'owns the policy that asked for the review',
  on_behalf_of: 'is the person the agent acts for',
};

/** The full context of one request, as `warden approvals show` gives it, and the vote. */
export function ApprovalPage() {
  const { approvalId } = route.useParams();
  const approval = useQuery({
    queryKey: ['approvals', 'one', approvalId],
    queryFn: () => api.get<Approval>(`/v1/approvals/${encodeURIComponent(approvalId)}`),
  });
  return (
    <Loaded query={approval} label="this approval request">
      {(data) => <ApprovalBody approval={data} />}
    </Loaded>
  );
}

function ApprovalBody({ approval }: { approval: Approval }) {
  const human = useHuman();
  const names = useNames();
  const now = useNow();
  const { agent, action, rule, spend, task } = approval.context;
  const initiator = initiatorOf(approval);
  return (
    <Stack>
      <PageHeader
        title={
          approval.kind === 'action'
            ? `${agent?.name ?? 'An agent'} wants to call ${approval.tool}`
            : `${approval.kind} request for ${agent?.name ?? approval.agentId}`
        }
        description={`Request ${approval.id}, created ${formatTime(approval.createdAt)}`}
        actions={
          <Group>
            <StatusBadge status={approval.status} />
            {approval.status === 'pending' && (
              <Badge
                color={new Date(approval.deadline).getTime() - now < 5 * 60_000 ? 'red.9' : 'blue.8'}
                size="lg"
                data-testid="deadline"
              >
                {countdown(approval.deadline, now)} left
              </Badge>
            )}
          </Group>
        }
      />
      {approval.status !== 'pending' && (
        <Alert color="gray" title="Already decided" data-testid="already-decided">
          This request is {approval.status}
          {approval.decidedBy ? ` by ${names.human(approval.decidedBy)}` : ''}
          {approval.decidedAt ? ` on ${formatTime(approval.decidedAt)}` : ''}
          {approval.comment ? `: “${approval.comment}”` : '.'}
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {agent && (
          <Card withBorder component="section" aria-label="Agent">
            <Title order={3} size="h5">
              Agent
            </Title>
            <Text fw={600}>
              <AgentLink id={agent.id}>{agent.name}</AgentLink>
            </Text>
            <Text size="sm">{agent.purpose}</Text>
            <Text size="sm" c="dimmed">
              Owner {agent.owner ? `${agent.owner.name} <${agent.owner.email}>` : 'unknown'} · tier{' '}
              {agent.tier} · risk {agent.risk} ({agent.riskLevel}) · {agent.environments.join(', ')} · roles{' '}
              {agent.roles.join(', ')} · {agent.status}
            </Text>
          </Card>
        )}
        <Card withBorder component="section" aria-label="Why a human is asked">
          <Title order={3} size="h5">
            Why a human is asked
          </Title>
          {rule ? (
            <>
              <Text size="sm">
                Rule <b>{rule.id}</b>
                {rule.owners.length ? ` (owned by ${rule.owners.join(', ')})` : ''}
              </Text>
              <Text size="sm">{rule.reason}</Text>
            </>
          ) : (
            <Text size="sm">
              {approval.context.justification ?? `A ${approval.kind} request needs a decision.`}
            </Text>
          )}
          {task && (
            <Text size="sm" c="dimmed">
              Task <TaskLink id={task.id}>{task.id}</TaskLink> in {task.environment ?? 'no environment'}
              {task.onBehalfOf ? `, on behalf of ${task.onBehalfOf}` : ''}
              {task.initiator ? `, started by ${task.initiator}` : ''}
            </Text>
          )}
        </Card>
      </SimpleGrid>
      {action && (
        <Card withBorder component="section" aria-label="The call">
          <Title order={3} size="h5">
            The call (arguments as stored, sensitive values redacted)
          </Title>
          <Code block style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
            {JSON.stringify(action.args, null, 2)}
          </Code>
          <Text size="xs" c="dimmed" className="mono">
            digest {action.digest}
          </Text>
        </Card>
      )}
      {approval.context.tools && (
        <Card withBorder>
          <Title order={3} size="h5">
            Tools asked for
          </Title>
          <Text className="mono">{approval.context.tools.join(', ')}</Text>
        </Card>
      )}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {spend && (
          <Card withBorder component="section" aria-label="Spend">
            <Title order={3} size="h5">
              The agent's spend
            </Title>
            <Text size="sm">
              Today {formatAmount(spend.todayUsd, 'usd')} in {spend.callsToday} calls · this month{' '}
              {formatAmount(spend.monthUsd, 'usd')}
            </Text>
          </Card>
        )}
        <Card withBorder component="section" aria-label="Who decides">
          <Title order={3} size="h5">
            Who decides
          </Title>
          <Table>
            <Table.Tbody>
              {approval.steps.map((step) => (
                <Table.Tr key={step.name}>
                  <Table.Td>{step.name}</Table.Td>
                  <Table.Td>{step.approvers.join(', ')}</Table.Td>
                  <Table.Td>
                    {step.approvals} of {step.required}
                  </Table.Td>
                  <Table.Td>{step.state}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {currentStepAsksReauth(approval) && (
            <Text size="sm" mt="xs">
              The current step asks the initiator{initiator ? ` (${names.human(initiator)})` : ''} to
              re-authenticate to approve (<code>initiator+reauth</code>).
            </Text>
          )}
          <Text size="sm" mt="xs">
            May decide now:{' '}
            {approval.eligible.length ? approval.eligible.map(names.human).join(', ') : 'nobody'}
          </Text>
          {approval.excluded.length > 0 && (
            <>
              <Text size="sm">May not decide:</Text>
              <List size="sm">
                {approval.excluded.map((e) => (
                  <List.Item key={`${e.humanId}-${e.why}`}>
                    {names.human(e.humanId)}, who {EXCLUDED_WHY[e.why] ?? e.why}
                  </List.Item>
                ))}
              </List>
            </>
          )}
        </Card>
      </SimpleGrid>
      {approval.votes.length > 0 && (
        <Card withBorder>
          <Title order={3} size="h5">
            Votes
          </Title>
          <List size="sm">
            {approval.votes.map((vote) => (
              <List.Item key={`${vote.humanId}-${vote.at}`}>
                {names.human(vote.humanId)} {vote.verdict === 'approve' ? 'approved' : 'denied'} ({vote.step}){' '}
                {formatTime(vote.at)}
                {vote.comment ? `: “${vote.comment}”` : ''}
              </List.Item>
            ))}
          </List>
        </Card>
      )}
      {can.decide(human, approval) ? (
        <VoteForm approval={approval} />
      ) : (
        approval.status === 'pending' && (
          <Text size="sm" c="dimmed">
            You are not among those who may decide this step.
          </Text>
        )
      )}
    </Stack>
  );
}
