import { Anchor, type AnchorProps } from '@mantine/core';
import { Link } from '@tanstack/react-router';
import type { ReactNode } from 'react';

/** Links to the pages that take an id, drawn as Mantine anchors and typed against the route tree. */
type Props = { id: string; children: ReactNode } & AnchorProps;

export function AgentLink({ id, children, ...props }: Props) {
  return (
    <Anchor
      {...props}
      renderRoot={(root) => <Link {...root} to="/agents/$agentId" params={{ agentId: id }} />}
    >
      {children}
    </Anchor>
  );
}

export function ApprovalLink({ id, children, ...props }: Props) {
  return (
    <Anchor
      {...props}
      renderRoot={(root) => <Link {...root} to="/approvals/$approvalId" params={{ approvalId: id }} />}
    >
      {children}
    </Anchor>
  );
}

export function TaskLink({ id, children, ...props }: Props) {
  return (
    <Anchor {...props} renderRoot={(root) => <Link {...root} to="/tasks/$taskId" params={{ taskId: id }} />}>
      {children}
    </Anchor>
  );
}
