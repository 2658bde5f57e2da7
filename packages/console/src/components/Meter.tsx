import { Group, Progress, Stack, Text } from '@mantine/core';
import { formatAmount } from '../lib/format';

/** A budget's use against its limit, coloured by how close it is. */
export function Meter({
  label,
  used,
  limit,
  unit,
}: {
  label: string;
  used: number;
  limit: number;
  unit: string;
}) {
  const percent = limit > 0 ? Math.min(100, (used / limit) * 100) : 0;
  const color = percent >= 90 ? 'red' : percent >= 75 ? 'orange' : percent >= 50 ? 'yellow' : 'green';
  return (
    <Stack gap={2}>
      <Group justify="space-between">
        <Text size="sm">{label}</Text>
        <Text size="sm" c="dimmed">
          {formatAmount(used, unit)} of {formatAmount(limit, unit)} ({percent.toFixed(0)} %)
        </Text>
      </Group>
      <Progress value={percent} color={color} aria-label={`${label}: ${percent.toFixed(0)} percent used`} />
    </Stack>
  );
}
