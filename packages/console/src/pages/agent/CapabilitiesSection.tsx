import { Badge, Group, Stack, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { Capabilities } from '../../api/types';
import { EffectBadge } from '../../components/badges';
import { Loaded } from '../../components/Loaded';
import { Section } from './AgentPage';

/** "What can this agent do?": each tool allowed, reviewed or denied, with the rules and their owners. */
export function CapabilitiesSection({ agentId }: { agentId: string }) {
  const capabilities = useQuery({
    queryKey: ['agent', agentId, 'capabilities'],
    queryFn: () => api.get<Capabilities>(`/v1/agents/${encodeURIComponent(agentId)}/capabilities`),
  });
  return (
    <Section title="What can this agent do?">
      <Loaded query={capabilities} label="the agent's capabilities">
        {(data) => (
          <Stack gap="xs">
            <Text size="sm" c="dimmed">
              Under policy version <span className="mono">{data.policyVersion?.slice(0, 12) ?? 'none'}</span>.
              Anything not listed is{' '}
              {data.defaultEffect === 'deny' ? 'denied by default' : data.defaultEffect}.
            </Text>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Tool</Table.Th>
                  <Table.Th>Answer</Table.Th>
                  <Table.Th>Because of</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.tools.map((tool) => (
                  <Table.Tr key={tool.tool}>
                    <Table.Td className="mono">{tool.tool}</Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        <EffectBadge effect={tool.effect} />
                        {tool.conditional && (
                          <Badge variant="outline" color="gray">
                            conditional
                          </Badge>
                        )}
                        {tool.via === 'grant' && (
                          <Badge variant="outline" color="violet">
                            temporary grant
                          </Badge>
                        )}
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      <Stack gap={2}>
                        {tool.rules.map((rule) => (
                          <Text size="xs" key={`${rule.policy}/${rule.rule}`}>
                            <b>{rule.rule}</b> ({rule.policy}, {rule.effect}
                            {rule.owner ? `, owner ${rule.owner}` : ''})
                            {rule.description ? `: ${rule.description}` : ''}
                          </Text>
                        ))}
                      </Stack>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Stack>
        )}
      </Loaded>
    </Section>
  );
}
