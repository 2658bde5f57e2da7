import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { ApiError, api, setCsrfToken, whenUnauthenticated } from '../api/client';
import type { ConsoleSession, Human, Tenant } from '../api/types';

/**
 * The signed-in human, as the node's session answers it. The session itself is an HttpOnly cookie the
 * page never sees; what the page keeps is the human, the tenant and the CSRF token, in memory only.
 *
 * Sign-in methods are one seam (`SignInMethod`): a pasted token or a one-time code today; single
 * sign-on would add a method that ends in the same POST /v1/console/sign-in answer.
 */
export type SignInMethod = { readonly token: string } | { readonly code: string };

type SessionState =
  | { readonly status: 'loading' }
  | { readonly status: 'signed-out'; readonly expired: boolean }
  | {
      readonly status: 'signed-in';
      readonly human: Human;
      readonly tenant: Tenant;
      readonly expiresAt: string;
    };

interface SessionApi {
  readonly state: SessionState;
  signIn(method: SignInMethod): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionApi | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const queryClient = useQueryClient();

  const adopt = useCallback((answer: ConsoleSession) => {
    setCsrfToken(answer.csrfToken);
    setState({
      status: 'signed-in',
      human: answer.human,
      tenant: answer.tenant,
      expiresAt: answer.session.expiresAt,
    });
  }, []);

  const drop = useCallback(
    (expired: boolean) => {
      setCsrfToken(null);
      queryClient.clear();
      setState({ status: 'signed-out', expired });
    },
    [queryClient],
  );

  useEffect(() => {
    // Any 401 from a data call means the session expired or was revoked: forget everything we read.
    whenUnauthenticated(() => drop(true));
    api.quiet
      .get<ConsoleSession>('/v1/console/session')
      .then(adopt)
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 401) drop(false);
        else setState({ status: 'signed-out', expired: false });
      });
  }, [adopt, drop]);

  const value = useMemo<SessionApi>(
    () => ({
      state,
      async signIn(method) {
        adopt(await api.quiet.post<ConsoleSession>('/v1/console/sign-in', method));
      },
      async signOut() {
        try {
          await api.post('/v1/console/sign-out');
        } finally {
          drop(false);
        }
      },
    }),
    [state, adopt, drop],
  );

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** The signed-in human; only for pages behind the sign-in gate. */
export function useHuman(): Human {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useHuman without a session');
  return state.human;
}
