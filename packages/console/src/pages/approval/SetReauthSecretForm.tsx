import { Alert, Button, PasswordInput, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { ApiError, api } from '../../api/client';
import type { ReauthSecretState } from '../../api/types';

/** The node's minimum (`MIN_SECRET_CHARS` on the server); the API is the authority and says so if it differs. */
const MIN_CHARS = 12;

/**
 * Sets a first re-authentication secret (`PUT /v1/me/reauth-secret`), for a human who has none yet.
 * Changing an existing one needs the current secret and stays with `warden me reauth-secret --change`.
 * The secret lives in this form's state only until it is sent.
 */
export function SetReauthSecretForm({ onSet }: { onSet: () => Promise<void> }) {
  const [secret, setSecret] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);

  const mismatch = repeat !== '' && repeat !== secret ? 'The two secrets differ.' : undefined;
  const fieldError = error instanceof ApiError ? error.fieldErrors.secret : undefined;

  async function submit() {
    setBusy(true);
    setError(null);
    try {
      await api.put<ReauthSecretState>('/v1/me/reauth-secret', { secret });
      setSecret('');
      setRepeat('');
      await onSet();
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      aria-label="Set your re-authentication secret"
      onSubmit={(event) => {
        event.preventDefault();
        if (!mismatch && secret) void submit();
      }}
    >
      <Stack gap="sm">
        <Alert color="yellow" title="You have no re-authentication secret yet">
          Set one here, or with <code>warden me reauth-secret</code>. It is something you know, apart from
          your API tokens, that you type again whenever a step asks you to re-authenticate.
        </Alert>
        <PasswordInput
          label="New re-authentication secret"
          description={`At least ${MIN_CHARS} characters.`}
          value={secret}
          onChange={(event) => setSecret(event.currentTarget.value)}
          error={fieldError}
          // Mantine's PasswordInput leaves aria-invalid out; screen readers need it with the error.
          aria-invalid={fieldError ? true : undefined}
          autoComplete="new-password"
          name="new-reauth-secret"
          data-autofocus
        />
        <PasswordInput
          label="Repeat the secret"
          value={repeat}
          onChange={(event) => setRepeat(event.currentTarget.value)}
          error={mismatch}
          aria-invalid={mismatch ? true : undefined}
          autoComplete="new-password"
          name="repeat-reauth-secret"
        />
        {error && !fieldError && (
          <Alert color="red" title="Not set" role="alert">
            {error.message}
          </Alert>
        )}
        <Text size="xs" c="dimmed">
          Forgot it later? An admin can clear it, and you set a new one.
        </Text>
        <Button type="submit" color="blue.8" loading={busy} disabled={!secret || repeat !== secret}>
          Set secret
        </Button>
      </Stack>
    </form>
  );
}
