import { Alert, Button, Card, Group, Text, Textarea, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api } from '../../api/client';
import type { Approval } from '../../api/types';
import { useHuman } from '../../auth/session';
import { ReauthDialog } from './ReauthDialog';
import { approvalNeedsReauth } from './step-up';

/**
 * Approve or deny with a comment. A request someone else settled first answers 409: shown as such.
 * When the step asks this human, its initiator, to re-authenticate (or the API answers
 * `reauth_required`), approving goes through the re-authentication dialog; denying never does.
 */
export function VoteForm({ approval }: { approval: Approval }) {
  const queryClient = useQueryClient();
  const human = useHuman();
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState<'approve' | 'deny' | null>(null);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [reauthAsked, setReauthAsked] = useState(false);
  const [reauthOpen, setReauthOpen] = useState(false);
  const needsReauth = reauthAsked || approvalNeedsReauth(approval, human.id);

  async function vote(verdict: 'approve' | 'deny') {
    if (verdict === 'approve' && needsReauth) {
      setError(null);
      setReauthOpen(true);
      return;
    }
    setBusy(verdict);
    setError(null);
    try {
      await api.post(
        `/v1/approvals/${encodeURIComponent(approval.id)}/${verdict}`,
        comment.trim() ? { comment: comment.trim() } : {},
      );
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'reauth_required' && verdict === 'approve') {
        // The node asks for a fresh proof the page did not foresee: ask for the secret.
        setReauthAsked(true);
        setReauthOpen(true);
      } else {
        setError(caught instanceof Error ? caught : new Error(String(caught)));
      }
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
      {needsReauth && (
        <Text size="sm" mb="sm" data-testid="reauth-note">
          This step asks you, the initiator, to re-authenticate: approving asks for your re-authentication
          secret. Denying does not.
        </Text>
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
      <ReauthDialog
        approval={approval}
        comment={comment.trim()}
        opened={reauthOpen}
        onClose={() => setReauthOpen(false)}
        onApproved={() => queryClient.invalidateQueries({ queryKey: ['approvals'] })}
      />
    </Card>
  );
}
