import { Badge, Group, SegmentedControl, Stack, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import type { Capabilities } from '../../api/types';
import { EffectBadge } from '../../components/badges';
import { Loaded } from '../../components/Loaded';
import { Section } from './Section';

type Show = 'can' | 'deny' | 'all';

/**
 * "What can this agent do?": each tool allowed, reviewed or denied, with the rules and their owners.
 * What it can do (alone or with a human) comes first; the explicit denials are one click away.
 */
export function CapabilitiesSection({ agentId }: { agentId: string }) {
  const [show, setShow] = useState<Show>('can');
  const capabilities = useQuery({
    queryKey: ['agent', agentId, 'capabilities'],
    queryFn: () => api.get<Capabilities>(`/v1/agents/${encodeURIComponent(agentId)}/capabilities`),
  });
  return (
    <Section title="What can this agent do?">
      <Loaded query={capabilities} label="the agent's capabilities">
        {(data) => {
          const count = (effect: string) => data.tools.filter((t) => t.effect === effect).length;
          const tools = data.tools.filter((t) =>
            show === 'all' ? true : show === 'deny' ? t.effect === 'deny' : t.effect !== 'deny',
          );
          return (
            <Stack gap="xs">
              <Text size="sm">
                {count('allow')} tools allowed, {count('review')} with a human's review, {count('deny')}{' '}
                denied by a rule; anything else is{' '}
                {data.defaultEffect === 'deny' ? 'denied by default' : data.defaultEffect}. Policy version{' '}
                <span className="mono">{data.policyVersion?.slice(0, 12) ?? 'none'}</span>.
              </Text>
              <SegmentedControl
                aria-label="Which tools to show"
                value={show}
                onChange={(value) => setShow(value as Show)}
                data={[
                  { value: 'can', label: 'Allowed or reviewed' },
                  { value: 'deny', label: 'Denied' },
                  { value: 'all', label: 'All' },
                ]}
                w="fit-content"
              />
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Tool</Table.Th>
                    <Table.Th>Answer</Table.Th>
                    <Table.Th>Because of</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {tools.map((tool) => (
                    <Table.Tr key={tool.tool}>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>
                        <Text size="sm" ff="monospace">
                          {tool.tool}
                        </Text>
                      </Table.Td>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>
                        <Group gap={4}>
                          <EffectBadge effect={tool.effect} />
                          {tool.via === 'grant' && (
                            <Badge variant="outline" color="violet.9">
                              grant
                            </Badge>
                          )}
                        </Group>
                        {tool.conditional && (
                          <Text size="xs" c="dimmed">
                            when its conditions hold
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Stack gap={4}>
                          {tool.rules.map((rule) => (
                            <div key={`${rule.policy}/${rule.rule}`}>
                              <Text size="xs">
                                <b>{rule.rule}</b> ({rule.effect}, policy {rule.policy}
                                {rule.owner ? `, owner ${rule.owner}` : ''})
                              </Text>
                              {rule.description && (
                                <Text size="xs" c="dimmed" lineClamp={2}>
                                  {rule.description}
                                </Text>
                              )}
                            </div>
                          ))}
                        </Stack>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Stack>
          );
        }}
      </Loaded>
    </Section>
  );
}
