import { AppShell, Badge, Burger, Button, Group, NavLink, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link, useRouterState } from '@tanstack/react-router';
import type { ReactNode } from 'react';
import { can } from '../auth/permissions';
import { useHuman, useSession } from '../auth/session';
import { useApprovalStream, useWaitingCount } from './approval-stream';

interface NavItem {
  readonly to: string;
  readonly label: string;
  readonly visible: boolean;
}

/** The frame of every page: the navigation (only what the human's roles may read), who is signed in. */
export function Layout({ children }: { children: ReactNode }) {
  const { state, signOut } = useSession();
  const human = useHuman();
  const [opened, { toggle }] = useDisclosure();
  const path = useRouterState({ select: (s) => s.location.pathname });
  useApprovalStream();
  const waiting = useWaitingCount();

  const items: NavItem[] = [
    { to: '/', label: 'Overview', visible: true },
    { to: '/agents', label: 'Agents', visible: true },
    { to: '/approvals', label: 'Approvals', visible: true },
    { to: '/audit', label: 'Audit', visible: can.readAudit(human) },
    { to: '/budgets', label: 'Budgets and spend', visible: true },
    { to: '/policies', label: 'Policies', visible: true },
    { to: '/incidents', label: 'Incidents and kill switch', visible: true },
  ];
  const active = (to: string) => (to === '/' ? path === '/' : path.startsWith(to));

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label="Toggle navigation"
            />
            <Title order={1} size="h4">
              Warden Console
            </Title>
            {state.status === 'signed-in' && (
              <Text size="sm" c="dimmed">
                {state.tenant.name}
              </Text>
            )}
          </Group>
          <Group gap="sm">
            <Text size="sm" data-testid="signed-in-as">
              {human.name}{' '}
              <Text span c="dimmed">
                ({human.roles.join(', ')})
              </Text>
            </Text>
            <Button variant="default" size="xs" onClick={() => void signOut()}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Pages">
        {items
          .filter((item) => item.visible)
          .map((item) => (
            <NavLink
              key={item.to}
              component={Link}
              to={item.to}
              label={item.label}
              active={active(item.to)}
              aria-current={active(item.to) ? 'page' : undefined}
              rightSection={
                item.to === '/approvals' && waiting > 0 ? (
                  <Badge size="sm" color="red.9" aria-label={`${waiting} waiting for you`}>
                    {waiting}
                  </Badge>
                ) : undefined
              }
            />
          ))}
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        {children}
      </AppShell.Main>
    </AppShell>
  );
}
