import { Alert, Button, Card, Group, Textarea, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api } from '../../api/client';
import type { Approval } from '../../api/types';

/** Approve or deny with a comment. A request someone else settled first answers 409: shown as such. */
export function VoteForm({ approval }: { approval: Approval }) {
  const queryClient = useQueryClient();
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState<'approve' | 'deny' | null>(null);
  const [error, setError] = useState<ApiError | Error | null>(null);

  async function vote(verdict: 'approve' | 'deny') {
    setBusy(verdict);
    setError(null);
    try {
      await api.post(
        `/v1/approvals/${encodeURIComponent(approval.id)}/${verdict}`,
        comment.trim() ? { comment: comment.trim() } : {},
      );
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      setBusy(null);
      await queryClient.invalidateQueries({ queryKey: ['approvals'] });
    }
  }

  const fieldError = error instanceof ApiError ? error.fieldErrors.comment : undefined;
  return (
    <Card withBorder component="section" aria-label="Your decision">
      <Title order={3} size="h5" mb="xs">
        Your decision
      </Title>
      <Textarea
        label="Comment"
        value={comment}
        onChange={(e) => setComment(e.currentTarget.value)}
        error={fieldError}
        autosize
        minRows={2}
        mb="sm"
      />
      {error && !fieldError && (
        <Alert
          color={error instanceof ApiError && error.status === 409 ? 'gray' : 'red'}
          title={error instanceof ApiError && error.status === 409 ? 'Already decided' : 'Not done'}
          mb="sm"
          role="alert"
        >
          {error.message}
        </Alert>
      )}
      <Group>
        <Button
          color="teal.9"
          loading={busy === 'approve'}
          disabled={busy !== null}
          onClick={() => void vote('approve')}
        >
          Approve
        </Button>
        <Button
          color="red.9"
          loading={busy === 'deny'}
          disabled={busy !== null}
          onClick={() => void vote('deny')}
        >
          Deny
        </Button>
      </Group>
    </Card>
  );
}
