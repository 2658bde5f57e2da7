export const HUMAN_ROLES = ['admin', 'security', 'approver', 'auditor', 'owner', 'viewer'] as const;
export type HumanRole = (typeof HUMAN_ROLES)[number];

export function hasAnyRole(roles: readonly HumanRole[], wanted: readonly HumanRole[]): boolean {
  return roles.includes('admin') || wanted.some((role) => roles.includes(role));
}
