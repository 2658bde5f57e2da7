import { Badge, Group, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { TrustStanding } from '../../api/types';
import { Loaded } from '../../components/Loaded';
import { ApprovalLink } from '../../components/links';
import { formatTime } from '../../lib/format';
import { Section } from './Section';

/** The criteria as people name them (the API's `name` is kept for anything new). */
const CRITERION_LABELS: Record<string, string> = {
  days_in_tier: 'Days in the tier',
  critical_incidents: 'Critical incidents',
  within_budget: 'Within budget',
  successful_actions: 'Successful actions',
  failure_rate: 'Failure rate',
};

const PROMOTION_WORDS: Record<TrustStanding['promotion'], string> = {
  approval: 'promoted once its owner and security approve',
  automatic: 'promoted automatically',
  off: 'not promoted by evidence in this tenant (tiers change by hand)',
};

/**
 * "Where does this agent stand?": its trust tier and since when, and, for the next tier, each
 * criterion met or not with the figures Warden judged and what it still needs
 * (`GET /v1/agents/:id/trust`, the same judgement the daily sweep makes).
 */
export function TrustSection({ agentId }: { agentId: string }) {
  const trust = useQuery({
    queryKey: ['agent', agentId, 'trust'],
    queryFn: () => api.get<TrustStanding>(`/v1/agents/${encodeURIComponent(agentId)}/trust`),
  });
  return (
    <Section title="Trust">
      <Loaded query={trust} label="the agent's trust standing">
        {(standing) => <TrustBody standing={standing} />}
      </Loaded>
    </Section>
  );
}

function TrustBody({ standing }: { standing: TrustStanding }) {
  const met = standing.criteria.filter((c) => c.met).length;
  return (
    <>
      <Group gap="xs" mb="xs">
        <Badge size="lg" color="blue.8" data-testid="trust-tier">
          {standing.tier}
        </Badge>
        <Text size="sm">
          since {formatTime(standing.tierSince)} ({standing.evidence.daysInTier} days)
        </Text>
      </Group>
      {standing.nextTier === null ? (
        <Text size="sm">The highest tier: there is nothing further to earn, only to keep.</Text>
      ) : (
        <>
          <Text size="sm" data-testid="trust-summary">
            {standing.eligible
              ? `Meets every criterion for ${standing.nextTier}`
              : `Meets ${met} of ${standing.criteria.length} criteria for ${standing.nextTier}`}
            ; it is {PROMOTION_WORDS[standing.promotion]}.
          </Text>
          {standing.pendingPromotion && (
            <Text size="sm">
              A promotion request waits:{' '}
              <ApprovalLink id={standing.pendingPromotion}>{standing.pendingPromotion}</ApprovalLink>
            </Text>
          )}
          <Table mt="xs" data-testid="trust-criteria">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Criterion</Table.Th>
                <Table.Th>Met</Table.Th>
                <Table.Th>Required</Table.Th>
                <Table.Th>Now</Table.Th>
                <Table.Th>Still needs</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {standing.criteria.map((criterion) => (
                <Table.Tr key={criterion.name}>
                  <Table.Td>{CRITERION_LABELS[criterion.name] ?? criterion.name}</Table.Td>
                  <Table.Td>
                    <Text
                      size="sm"
                      fw={600}
                      c={criterion.met ? 'teal.9' : 'red.9'}
                      style={{ whiteSpace: 'nowrap' }}
                    >
                      {criterion.met ? '✓ met' : '✗ not met'}
                    </Text>
                  </Table.Td>
                  <Table.Td>{criterion.required}</Table.Td>
                  <Table.Td>{criterion.actual}</Table.Td>
                  <Table.Td>{criterion.needs ?? '—'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </>
      )}
      <Text size="xs" c="dimmed" mt="xs">
        Last evaluated by the daily sweep: {formatTime(standing.lastEvaluatedAt)}. Figures are judged now,
        from the agent's record in its current tier.
      </Text>
    </>
  );
}
