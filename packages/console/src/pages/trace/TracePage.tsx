import { Badge, Card, Group, Stack, Text, Timeline, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { getRouteApi } from '@tanstack/react-router';
import { api } from '../../api/client';
import type { Trace, TraceAction } from '../../api/types';
import { EffectBadge, StatusBadge } from '../../components/badges';
import { Loaded } from '../../components/Loaded';
import { AgentLink } from '../../components/links';
import { PageHeader } from '../../components/PageHeader';
import { formatTime } from '../../lib/format';
import { useNames } from '../../lib/names';
import { actionPhrase } from '../audit/describe-event';

const route = getRouteApi('/tasks/$taskId');

/** A task as a timeline: every tool and model call, its decision, approval, outcome and cost; sub-tasks below. */
export function TracePage() {
  const { taskId } = route.useParams();
  const trace = useQuery({
    queryKey: ['trace', taskId],
    queryFn: () => api.get<Trace>(`/v1/tasks/${encodeURIComponent(taskId)}/trace`),
  });
  return (
    <>
      <PageHeader title={`Task ${taskId}`} description="What the agent did in this task, in order." />
      <Loaded query={trace} label="this task's trace">
        {(data) => <TraceTree trace={data} />}
      </Loaded>
    </>
  );
}

function TraceTree({ trace, depth = 0 }: { trace: Trace; depth?: number }) {
  const names = useNames();
  const cost = trace.actions.reduce(
    (sum, a) => sum + (typeof a.outcome?.costUsd === 'number' ? a.outcome.costUsd : 0),
    0,
  );
  return (
    <Card withBorder ml={depth * 24} mb="md">
      <Group justify="space-between" mb="sm">
        <Title order={depth === 0 ? 3 : 4} size="h5">
          <AgentLink id={trace.task.agentId}>{names.agent(trace.task.agentId)}</AgentLink> in task{' '}
          {trace.task.id}
        </Title>
        <Text size="sm" c="dimmed">
          {trace.actions.length} calls · ${cost.toFixed(2)} · {trace.task.environment ?? 'no environment'}
        </Text>
      </Group>
      <Timeline bulletSize={16} lineWidth={2} active={trace.actions.length}>
        {trace.actions.map((action) => (
          <Timeline.Item key={action.decisionId} title={<ActionTitle action={action} />}>
            <Stack gap={2}>
              <Text size="sm">{action.reason}</Text>
              <Text size="xs" c="dimmed">
                {formatTime(action.decidedAt)} · rule {action.decidingRule ?? '—'} · {action.decisionId}
              </Text>
            </Stack>
          </Timeline.Item>
        ))}
      </Timeline>
      {trace.children.map((child) => (
        <TraceTree key={child.task.id} trace={child} depth={depth + 1} />
      ))}
    </Card>
  );
}

function ActionTitle({ action }: { action: TraceAction }) {
  const model = action.tool.startsWith('llm.');
  return (
    <Group gap="xs">
      <Badge variant="outline" color={model ? 'grape' : 'blue'}>
        {model ? 'model call' : 'tool call'}
      </Badge>
      <Text size="sm" fw={500}>
        {actionPhrase(action.tool, action.args)}
      </Text>
      <EffectBadge effect={action.effect} />
      {action.code === 'approved' && <Badge color="teal.9">approved by a human</Badge>}
      {action.outcome && <StatusBadge status={action.outcome.status} />}
      {typeof action.outcome?.costUsd === 'number' && (
        <Text size="xs" c="dimmed">
          ${action.outcome.costUsd}
        </Text>
      )}
    </Group>
  );
}
