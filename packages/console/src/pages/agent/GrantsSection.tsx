import { Table, Text } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { Grant } from '../../api/types';
import { ConfirmAction } from '../../components/ConfirmAction';
import { Loaded } from '../../components/Loaded';
import { formatTime } from '../../lib/format';
import { Section } from './Section';

/** Temporary grants from approved access requests; revoking one takes effect at once. */
export function GrantsSection({ agentId, manage }: { agentId: string; manage: boolean }) {
  const queryClient = useQueryClient();
  const grants = useQuery({
    queryKey: ['agent', agentId, 'grants'],
    queryFn: () => api.get<{ grants: Grant[] }>(`/v1/agents/${encodeURIComponent(agentId)}/grants`),
  });
  return (
    <Section title="Temporary grants">
      <Loaded query={grants} label="grants">
        {(data) =>
          data.grants.length === 0 ? (
            <Text size="sm" c="dimmed">
              No active grant.
            </Text>
          ) : (
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Tools</Table.Th>
                  <Table.Th>Until</Table.Th>
                  {manage && <Table.Th>Action</Table.Th>}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.grants.map((grant) => (
                  <Table.Tr key={grant.id}>
                    <Table.Td className="mono">{grant.tools.join(', ')}</Table.Td>
                    <Table.Td>{formatTime(grant.expiresAt)}</Table.Td>
                    {manage && (
                      <Table.Td>
                        <ConfirmAction
                          label="Revoke"
                          title="Revoke this grant?"
                          color="red"
                          onConfirm={async () => {
                            await api.delete(
                              `/v1/agents/${encodeURIComponent(agentId)}/grants/${encodeURIComponent(grant.id)}`,
                            );
                            await queryClient.invalidateQueries({ queryKey: ['agent', agentId] });
                          }}
                        >
                          The policy engine stops using it at once.
                        </ConfirmAction>
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </Loaded>
    </Section>
  );
}
