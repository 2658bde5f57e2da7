import { Center, Loader } from '@mantine/core';
import { Navigate, Outlet, useRouterState } from '@tanstack/react-router';
import { useSession } from '../auth/session';
import { SignInPage } from '../pages/sign-in/SignInPage';
import { Layout } from './Layout';

/**
 * The sign-in gate. Without a session every URL shows the sign-in page (never data), and the URL is
 * kept so the human lands where they meant to go once signed in.
 */
export function Root() {
  const { state } = useSession();
  const path = useRouterState({ select: (s) => s.location.pathname });
  if (state.status === 'loading')
    return (
      <Center h="100vh">
        <Loader aria-label="Loading the session" />
      </Center>
    );
  if (state.status === 'signed-out') return <SignInPage />;
  if (path === '/sign-in') return <Navigate to="/" />;
  return (
    <Layout>
      <Outlet />
    </Layout>
  );
}
