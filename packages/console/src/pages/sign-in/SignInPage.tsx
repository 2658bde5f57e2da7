import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../../api/client';
import { useSession } from '../../auth/session';

/** Reads a one-time code from `#code=…` and removes it from the address bar and history at once. */
function takeCodeFromFragment(): string | null {
  const match = /(?:^#|&)code=([^&]+)/.exec(window.location.hash);
  if (!match?.[1]) return null;
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
  return decodeURIComponent(match[1]);
}

/**
 * Sign-in: paste a human API token, or open the one-time link `warden up` (or `warden console link`)
 * prints. The code is in the fragment, so it never reaches a log or a referrer; this page posts it once.
 */
export function SignInPage() {
  const { state, signIn } = useSession();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const codeTried = useRef(false);

  async function attempt(method: { token: string } | { code: string }) {
    setBusy(true);
    setError(null);
    try {
      await signIn(method);
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 401)
        setError(
          'code' in method
            ? 'This sign-in link is not valid any more (used or expired). Ask for a new one.'
            : 'That token is not valid.',
        );
      else if (caught instanceof ApiError && caught.status === 403)
        setError('Agent keys cannot sign in to the console. Use a human API token.');
      else setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => {
    if (codeTried.current) return;
    codeTried.current = true;
    const code = takeCodeFromFragment();
    if (code) void attempt({ code });
  });

  const expired = state.status === 'signed-out' && state.expired;

  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder p="xl" w={440} maw="100%">
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (token.trim()) void attempt({ token: token.trim() });
          }}
        >
          <Stack>
            <Title order={1} size="h3">
              Sign in to Warden
            </Title>
            {expired && (
              <Alert color="yellow" title="Session ended">
                Your session expired or was revoked. Sign in again.
              </Alert>
            )}
            <Text size="sm" c="dimmed">
              Open the sign-in link from <code>warden up</code> or <code>warden console link</code>, or paste
              your API token (<code>wdn_u_…</code>). The token is sent once and never stored by this page.
            </Text>
            <PasswordInput
              label="API token"
              value={token}
              onChange={(event) => setToken(event.currentTarget.value)}
              error={error}
              autoComplete="off"
              name="token"
            />
            <Button type="submit" loading={busy} disabled={!token.trim()}>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
