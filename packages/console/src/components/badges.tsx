import { Badge } from '@mantine/core';

const EFFECT_COLORS: Record<string, string> = { allow: 'green', review: 'orange', deny: 'red' };
const STATUS_COLORS: Record<string, string> = {
  active: 'green',
  pending: 'orange',
  suspended: 'yellow',
  retired: 'gray',
  killed: 'red',
  approved: 'green',
  denied: 'red',
  expired: 'gray',
  cancelled: 'gray',
  succeeded: 'green',
  failed: 'red',
};

export function EffectBadge({ effect }: { effect: string | null }) {
  if (!effect) return null;
  return (
    <Badge color={EFFECT_COLORS[effect] ?? 'gray'} variant="dot">
      {effect}
    </Badge>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <Badge color={STATUS_COLORS[status] ?? 'gray'} variant="dot">
      {status}
    </Badge>
  );
}
