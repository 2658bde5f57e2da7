import { Alert, Button, Center, Group, Loader, Modal, PasswordInput, Stack, Text } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api } from '../../api/client';
import type { Approval, ReauthProof, ReauthSecretState } from '../../api/types';
import { SetReauthSecretForm } from './SetReauthSecretForm';

/**
 * What the re-authentication call answers about the secret itself, shown under the secret field: a
 * wrong secret (`reauth_required` naming `body.secret`), none set, or the lockout after repeated
 * failures (`429 rate_limited`). Anything else (not the initiator, already settled) goes above the buttons.
 */
function secretError(error: Error | null): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  if (error.fieldErrors.secret || error.code === 'reauth_required' || error.code === 'rate_limited') {
    // Under the field, the API's "body.secret: " prefix only repeats which field it is.
    return error.message.replace(/^body\.secret: /, '');
  }
  return undefined;
}

/**
 * Approving a step that asks the initiator to re-authenticate, as `warden approvals approve --reauth`
 * does: the human types their re-authentication secret, `POST /v1/approvals/:id/reauth` mints a
 * single-use proof bound to this request, and the approval carries it as `reauthProof`. The secret
 * stays in this dialog's state only until it is sent, and is cleared whatever the answer.
 */
export function ReauthDialog({
  approval,
  comment,
  opened,
  onClose,
  onApproved,
}: {
  approval: Approval;
  comment: string;
  opened: boolean;
  onClose: () => void;
  onApproved: () => Promise<void>;
}) {
  const queryClient = useQueryClient();
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const state = useQuery({
    queryKey: ['me', 'reauth-secret'],
    queryFn: () => api.get<ReauthSecretState>('/v1/me/reauth-secret'),
    enabled: opened,
  });

  function close() {
    setSecret('');
    setError(null);
    onClose();
  }

  async function approve() {
    setBusy(true);
    setError(null);
    const typed = secret;
    setSecret('');
    try {
      const path = `/v1/approvals/${encodeURIComponent(approval.id)}`;
      const minted = await api.post<ReauthProof>(`${path}/reauth`, { secret: typed });
      await api.post(`${path}/approve`, {
        ...(comment ? { comment } : {}),
        reauthProof: minted.reauth.proof,
      });
      setError(null);
      await onApproved();
      onClose();
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
      // A secret that was never set (or was cleared meanwhile) shows the form to set one.
      await queryClient.invalidateQueries({ queryKey: ['me', 'reauth-secret'] });
    } finally {
      setBusy(false);
    }
  }

  const underField = secretError(error);
  return (
    <Modal opened={opened} onClose={close} title="Re-authenticate to approve" centered>
      <Stack>
        <Text size="sm">
          This step asks you, as the person the task was started by or for, to prove who you are again before
          approving. Holding a session or an API token is not enough.
        </Text>
        {state.isPending ? (
          <Center p="md">
            <Loader size="sm" aria-label="Loading whether you have a re-authentication secret" />
          </Center>
        ) : state.data?.reauthSecret.set === false ? (
          <SetReauthSecretForm
            onSet={() => queryClient.invalidateQueries({ queryKey: ['me', 'reauth-secret'] })}
          />
        ) : (
          <form
            aria-label="Re-authenticate"
            onSubmit={(event) => {
              event.preventDefault();
              if (secret) void approve();
            }}
          >
            <Stack>
              <PasswordInput
                label="Re-authentication secret"
                description={
                  <>
                    The secret you set with <code>warden me reauth-secret</code>. It is sent once to mint a
                    proof for this request and not kept.
                  </>
                }
                value={secret}
                onChange={(event) => setSecret(event.currentTarget.value)}
                error={underField}
                // Mantine's PasswordInput leaves aria-invalid out; screen readers need it with the error.
                aria-invalid={underField ? true : undefined}
                autoComplete="current-password"
                name="reauth-secret"
                data-autofocus
              />
              {error && !underField && (
                <Alert
                  color={error instanceof ApiError && error.status === 409 ? 'gray' : 'red'}
                  title={
                    error instanceof ApiError && error.status === 409 ? 'Already decided' : 'Not approved'
                  }
                  role="alert"
                >
                  {error.message}
                </Alert>
              )}
              <Group justify="flex-end">
                <Button variant="default" onClick={close}>
                  Cancel
                </Button>
                <Button type="submit" color="teal.9" loading={busy} disabled={!secret}>
                  Re-authenticate and approve
                </Button>
              </Group>
            </Stack>
          </form>
        )}
      </Stack>
    </Modal>
  );
}
