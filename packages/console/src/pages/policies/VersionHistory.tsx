import { Badge, Code, Group, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import type { PolicySet, PolicyVersion } from '../../api/types';
import { Loaded } from '../../components/Loaded';
import { formatTime } from '../../lib/format';
import { diffLines, diffPolicies } from './policy-diff';

type VersionDetail = PolicySet & { files: Array<{ path: string; text: string }> };

const short = (version: string) => version.slice(0, 12);

/** Every version the tenant activated; pick two to see which rules and which lines changed. */
export function VersionHistory() {
  const versions = useQuery({
    queryKey: ['policies', 'versions'],
    queryFn: () => api.get<{ versions: PolicyVersion[] }>('/v1/policies/versions'),
  });
  const [from, setFrom] = useState<string | null>(null);
  const [to, setTo] = useState<string | null>(null);
  return (
    <Loaded query={versions} label="policy versions">
      {(data) => {
        const options = data.versions.map((v) => ({
          value: v.version,
          label: `${short(v.version)} (${formatTime(v.activatedAt)})`,
        }));
        const older = from ?? data.versions[1]?.version ?? null;
        const newer = to ?? data.versions[0]?.version ?? null;
        return (
          <Stack>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Version</Table.Th>
                  <Table.Th>Activated</Table.Th>
                  <Table.Th>By</Table.Th>
                  <Table.Th>Rules</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.versions.map((v) => (
                  <Table.Tr key={`${v.version}-${v.activatedAt}`}>
                    <Table.Td>
                      <Code>{short(v.version)}</Code>{' '}
                      {v.active && (
                        <Badge variant="dot" color="green">
                          active
                        </Badge>
                      )}
                    </Table.Td>
                    <Table.Td>{formatTime(v.activatedAt)}</Table.Td>
                    <Table.Td>{v.activatedBy ?? '—'}</Table.Td>
                    <Table.Td>{v.ruleCount}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            {data.versions.length < 2 ? (
              <Text size="sm" c="dimmed">
                Only one version so far: nothing to compare.
              </Text>
            ) : (
              <>
                <Group align="flex-end">
                  <Select label="Compare version" data={options} value={older} onChange={setFrom} w={280} />
                  <Select label="with version" data={options} value={newer} onChange={setTo} w={280} />
                </Group>
                {older && newer && <VersionDiff from={older} to={newer} />}
              </>
            )}
          </Stack>
        );
      }}
    </Loaded>
  );
}

function useVersion(version: string) {
  return useQuery({
    queryKey: ['policies', 'versions', version],
    queryFn: () => api.get<VersionDetail>(`/v1/policies/versions/${encodeURIComponent(version)}`),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

function VersionDiff({ from, to }: { from: string; to: string }) {
  const before = useVersion(from);
  const after = useVersion(to);
  if (!before.data || !after.data)
    return (
      <Loaded query={before.data ? after : before} label="the versions">
        {() => null}
      </Loaded>
    );
  const rules = diffPolicies(before.data.policies, after.data.policies);
  const oldFiles = new Map(before.data.files.map((f) => [f.path, f.text]));
  const newFiles = new Map(after.data.files.map((f) => [f.path, f.text]));
  const paths = [...new Set([...oldFiles.keys(), ...newFiles.keys()])]
    .filter((p) => oldFiles.get(p) !== newFiles.get(p))
    .sort();
  return (
    <Stack>
      <Title order={3} size="h5">
        Rules changed ({rules.length})
      </Title>
      {rules.length === 0 ? (
        <Text size="sm" c="dimmed">
          The rules are the same.
        </Text>
      ) : (
        <Table>
          <Table.Tbody>
            {rules.map((r) => (
              <Table.Tr key={`${r.policy}/${r.rule}`}>
                <Table.Td>
                  <Badge
                    variant="dot"
                    color={r.change === 'added' ? 'green' : r.change === 'removed' ? 'red' : 'yellow'}
                  >
                    {r.change}
                  </Badge>
                </Table.Td>
                <Table.Td className="mono">
                  {r.policy}/{r.rule}
                </Table.Td>
                <Table.Td>
                  {r.before && r.after && r.before.effect !== r.after.effect
                    ? `${r.before.effect} → ${r.after.effect}`
                    : (r.after ?? r.before)?.effect}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {paths.map((path) => (
        <div key={path}>
          <Title order={4} size="h6">
            {path}
          </Title>
          <pre className="mono" style={{ margin: 0, maxHeight: 400, overflow: 'auto' }}>
            {diffLines(oldFiles.get(path) ?? '', newFiles.get(path) ?? '')
              .map((l, position) => ({ ...l, position }))
              .filter((l) => l.kind !== ' ')
              .map((l) => (
                <div
                  key={l.position}
                  style={{ background: l.kind === '+' ? '#d3f9d8' : '#ffe3e3', color: '#212529' }}
                >
                  {l.kind} {l.line}
                </div>
              ))}
          </pre>
        </div>
      ))}
    </Stack>
  );
}
