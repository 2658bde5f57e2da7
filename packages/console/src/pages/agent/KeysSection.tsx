import { Alert, Button, Code, CopyButton, Group, Table, Text } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import type { AgentKey } from '../../api/types';
import { ConfirmAction } from '../../components/ConfirmAction';
import { Loaded } from '../../components/Loaded';
import { formatTime, relative } from '../../lib/format';
import { Section } from './Section';

interface Issued {
  key: AgentKey;
  secret: string;
}

/** The agent's keys: issue one, rotate (the old ones wind down after an overlap), revoke. Secrets show once. */
export function KeysSection({ agentId, manage }: { agentId: string; manage: boolean }) {
  const queryClient = useQueryClient();
  const [issued, setIssued] = useState<Issued | null>(null);
  const path = `/v1/agents/${encodeURIComponent(agentId)}/keys`;
  const keys = useQuery({
    queryKey: ['agent', agentId, 'keys'],
    queryFn: () => api.get<{ keys: AgentKey[] }>(path),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['agent', agentId, 'keys'] });

  const actions = manage ? (
    <Group gap="xs">
      <ConfirmAction
        label="Issue key"
        title="Issue a new key?"
        onConfirm={async () => {
          setIssued(await api.post<Issued>(path, {}));
          await refresh();
        }}
      >
        A new key is added beside the current ones. Its secret is shown once.
      </ConfirmAction>
      <ConfirmAction
        label="Rotate keys"
        title="Rotate the agent's keys?"
        field={{
          name: 'rotate.overlapSeconds',
          label: 'Overlap in seconds (the old keys keep working this long)',
          required: true,
        }}
        onConfirm={async (overlap) => {
          setIssued(await api.post<Issued>(path, { rotate: { overlapSeconds: Number(overlap) } }));
          await refresh();
        }}
      >
        A new key is issued and every current key expires after the overlap.
      </ConfirmAction>
    </Group>
  ) : undefined;

  return (
    <Section title="Keys" actions={actions}>
      {issued && (
        <Alert
          color="green"
          title="New key issued"
          mb="sm"
          withCloseButton
          onClose={() => setIssued(null)}
          closeButtonLabel="Hide the secret"
        >
          <Text size="sm">Copy the secret now; it is not shown again.</Text>
          <Group gap="xs">
            <Code>{issued.secret}</Code>
            <CopyButton value={issued.secret}>
              {({ copied, copy }) => (
                <Button size="xs" variant="default" onClick={copy}>
                  {copied ? 'Copied' : 'Copy'}
                </Button>
              )}
            </CopyButton>
          </Group>
        </Alert>
      )}
      <Loaded query={keys} label="keys">
        {(data) => (
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Key</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th>Expires</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th>State</Table.Th>
                {manage && <Table.Th>Action</Table.Th>}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data.keys.map((key) => (
                <Table.Tr key={key.id}>
                  <Table.Td className="mono">{key.hint}…</Table.Td>
                  <Table.Td>{formatTime(key.createdAt)}</Table.Td>
                  <Table.Td>{formatTime(key.expiresAt)}</Table.Td>
                  <Table.Td>{relative(key.lastUsedAt)}</Table.Td>
                  <Table.Td>{key.revokedAt ? `revoked ${relative(key.revokedAt)}` : 'active'}</Table.Td>
                  {manage && (
                    <Table.Td>
                      {!key.revokedAt && (
                        <ConfirmAction
                          label="Revoke"
                          title={`Revoke key ${key.hint}…?`}
                          color="red"
                          buttonProps={{ 'aria-label': `Revoke key ${key.hint}` } as never}
                          onConfirm={async () => {
                            await api.delete(`${path}/${encodeURIComponent(key.id)}`);
                            await refresh();
                          }}
                        >
                          Calls with this key are refused from the next one on.
                        </ConfirmAction>
                      )}
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Loaded>
    </Section>
  );
}
