import { Anchor, Button, Code, Group, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { getRouteApi } from '@tanstack/react-router';
import { useState } from 'react';
import { api, withQuery } from '../../api/client';
import type { AuditEvent } from '../../api/types';
import { EffectBadge } from '../../components/badges';
import { QueryError } from '../../components/Loaded';
import { TaskLink } from '../../components/links';
import { PageHeader } from '../../components/PageHeader';
import { formatTime } from '../../lib/format';
import { useNames } from '../../lib/names';
import { AUDIT_FILTERS, type AuditSearch } from './audit-search';
import { buildStories, describeEvent, type Story } from './describe-event';
import { ProofBadge } from './ProofBadge';

const route = getRouteApi('/audit');

/** Datetime-local value (no zone) → ISO for the API, read in the browser's zone. */
function toIso(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** Search the tamper-evident log, read it as stories, verify any event's proof, export. */
export function AuditPage() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const names = useNames();
  const [draft, setDraft] = useState<AuditSearch>(search);

  const events = useInfiniteQuery({
    queryKey: ['audit', search],
    queryFn: ({ pageParam }) =>
      api.get<{ events: AuditEvent[]; nextCursor: string | null }>('/v1/audit/events', {
        ...search,
        order: 'desc',
        limit: 100,
        cursor: pageParam,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const all = events.data?.pages.flatMap((p) => p.events) ?? [];
  const stories = buildStories(all, names);
  const fieldError = (name: string) =>
    events.error && 'fieldErrors' in events.error
      ? (events.error as { fieldErrors: Record<string, string> }).fieldErrors[name]
      : undefined;

  const text = (key: keyof AuditSearch, label: string, placeholder?: string) => (
    <TextInput
      label={label}
      placeholder={placeholder}
      value={draft[key] ?? ''}
      onChange={(e) => setDraft({ ...draft, [key]: e.currentTarget.value })}
      error={fieldError(key)}
      w={180}
    />
  );

  return (
    <>
      <PageHeader
        title="Audit"
        description="Every decision, approval and change, as recorded in the tamper-evident log."
        actions={
          <Group gap="xs">
            <Button
              component="a"
              variant="default"
              size="xs"
              href={withQuery('/v1/audit/export', { format: 'jsonl', from: search.from, to: search.to })}
              download
            >
              Export JSONL (verifiable)
            </Button>
            <Button
              component="a"
              variant="default"
              size="xs"
              href={withQuery('/v1/audit/export', { format: 'csv', from: search.from, to: search.to })}
              download
            >
              Export CSV
            </Button>
          </Group>
        }
      />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const next: AuditSearch = {};
          for (const key of AUDIT_FILTERS) {
            const value = draft[key]?.trim();
            if (value) next[key] = value;
          }
          void navigate({ search: next });
        }}
      >
        <Group align="flex-end" mb="md">
          <Select
            label="Agent"
            data={names.agents}
            value={draft.agent ?? null}
            onChange={(v) => setDraft({ ...draft, agent: v ?? undefined })}
            searchable
            clearable
            w={200}
            error={fieldError('agent')}
          />
          {text('tool', 'Tool', 'payments.* or exact')}
          {text('type', 'Event type', 'decision.*')}
          <Select
            label="Effect"
            data={['allow', 'review', 'deny']}
            value={draft.effect ?? null}
            onChange={(v) => setDraft({ ...draft, effect: v ?? undefined })}
            clearable
            w={120}
            error={fieldError('effect')}
          />
          <Select
            label="Outcome"
            data={['succeeded', 'failed']}
            value={draft.outcome ?? null}
            onChange={(v) => setDraft({ ...draft, outcome: v ?? undefined })}
            clearable
            w={130}
            error={fieldError('outcome')}
          />
          {text('task', 'Task')}
          <TextInput
            type="datetime-local"
            label="From"
            onChange={(e) => setDraft({ ...draft, from: toIso(e.currentTarget.value) })}
            error={fieldError('from')}
          />
          <TextInput
            type="datetime-local"
            label="To"
            onChange={(e) => setDraft({ ...draft, to: toIso(e.currentTarget.value) })}
            error={fieldError('to')}
          />
          <Button type="submit">Search</Button>
        </Group>
      </form>
      {events.isError && !Object.keys((events.error as { fieldErrors?: object }).fieldErrors ?? {}).length ? (
        <QueryError error={events.error} label="the audit log" />
      ) : (
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={170}>When</Table.Th>
              <Table.Th>What happened</Table.Th>
              <Table.Th w={120}>Effect</Table.Th>
              <Table.Th w={160}>Task</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {stories.map((story) => (
              <StoryRow key={story.key} story={story} names={names} />
            ))}
          </Table.Tbody>
        </Table>
      )}
      {!events.isPending && all.length === 0 && !events.isError && (
        <Text c="dimmed" mt="md">
          No event matches.
        </Text>
      )}
      {events.hasNextPage && (
        <Button
          mt="md"
          variant="default"
          onClick={() => void events.fetchNextPage()}
          loading={events.isFetchingNextPage}
        >
          Load older events
        </Button>
      )}
    </>
  );
}

function StoryRow({ story, names }: { story: Story; names: ReturnType<typeof useNames> }) {
  const [open, setOpen] = useState(false);
  const first = story.events[0] as AuditEvent;
  const effect = story.events.find((e) => e.effect)?.effect ?? null;
  const task = story.events.find((e) => e.task)?.task?.id;
  return (
    <>
      <Table.Tr data-testid="audit-row">
        <Table.Td>{formatTime(first.time)}</Table.Td>
        <Table.Td>
          <Anchor
            component="button"
            type="button"
            onClick={() => setOpen(!open)}
            aria-expanded={open}
            ta="left"
          >
            {story.text}
          </Anchor>
        </Table.Td>
        <Table.Td>
          <EffectBadge effect={effect} />
        </Table.Td>
        <Table.Td>
          {task && (
            <TaskLink id={task} size="sm">
              {task}
            </TaskLink>
          )}
        </Table.Td>
      </Table.Tr>
      {open && (
        <Table.Tr>
          <Table.Td colSpan={4} p={0}>
            <Stack gap="xs" p="sm">
              {story.events.map((event) => (
                <Group key={event.id} align="flex-start" wrap="nowrap">
                  <Stack gap={2} style={{ flex: 1 }}>
                    <Text size="sm">
                      <b>{event.type}</b> · {formatTime(event.time)} · {describeEvent(event, names)}
                    </Text>
                    <Text size="xs" c="dimmed" className="mono">
                      {event.id} · seq {event.seq} · rules {event.rules.join(', ') || '—'}
                    </Text>
                    {event.payload ? (
                      <Code block style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
                        {JSON.stringify(event.payload, null, 2)}
                      </Code>
                    ) : (
                      <Text size="xs" c="dimmed">
                        {event.shredded ? 'Payload shredded after its retention period.' : 'No payload.'}
                      </Text>
                    )}
                  </Stack>
                  <ProofBadge event={event} />
                </Group>
              ))}
            </Stack>
          </Table.Td>
        </Table.Tr>
      )}
    </>
  );
}
