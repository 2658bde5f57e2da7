import type { PolicyBundle } from '../compile/compile-bundle.js';
import type { PolicyIssue } from '../issues.js';
import type { Approver } from '../model.js';

/** What a tenant has, as a server reports it: its groups (with active members) and its humans. */
export interface TenantDirectory {
  readonly groups: readonly { readonly name: string; readonly members: number }[];
  readonly humans: readonly { readonly id: string; readonly email: string; readonly name: string }[];
  /**
   * Groups that need not exist because the server falls back to people with a role when they do
   * not (`WARDEN_APPROVAL_SECURITY_GROUP`, `WARDEN_APPROVAL_LEGAL_GROUP`).
   */
  readonly fallbackGroups?: readonly string[];
}

/**
 * Warns about approvers a tenant cannot route: a `group:` it does not have (or that has no active
 * member) and a `user:` that names nobody, or more than one human. The server resolves a name
 * the same way: an id, an e-mail address, or the local part of an address or a name when only one
 * human has it. Such a step can only wait for its deadline, so lint says so before the bundle ships.
 */
export function lintApproversAgainst(bundle: PolicyBundle, tenant: TenantDirectory): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const groups = new Map(tenant.groups.map((g) => [g.name, g.members]));
  const fallback = new Set(tenant.fallbackGroups ?? []);
  for (const compiled of bundle.rules) {
    const { rule } = compiled;
    const approval = rule.approval;
    if (!approval) continue;
    const index = compiled.policy.rules.indexOf(rule);
    const lists: [string, readonly Approver[]][] = [
      ...approval.steps.map((step, i): [string, readonly Approver[]] => [
        approval.steps.length === 1 && step.name === 'approval'
          ? 'approval.approvers'
          : `approval.steps[${i}].approvers`,
        step.approvers,
      ]),
      ['approval.escalateTo', approval.escalateTo],
    ];
    const seen = new Set<string>();
    for (const [field, approvers] of lists) {
      for (const approver of approvers) {
        const problem = problemOf(approver, groups, fallback, tenant.humans);
        if (!problem || seen.has(`${field}|${problem}`)) continue;
        seen.add(`${field}|${problem}`);
        issues.push({
          severity: 'warning',
          file: rule.source.file,
          line: rule.source.line,
          column: 1,
          field: `spec.rules[${index}].${field}`,
          rule: rule.id,
          message: `rule '${rule.id}': ${problem}`,
        });
      }
    }
  }
  return issues;
}

function problemOf(
  approver: Approver,
  groups: ReadonlyMap<string, number>,
  fallback: ReadonlySet<string>,
  humans: TenantDirectory['humans'],
): string | undefined {
  if (approver.kind === 'group') {
    const members = groups.get(approver.name);
    if (members === undefined) {
      if (fallback.has(approver.name)) return undefined;
      return `the tenant has no group '${approver.name}'; create it with \`warden groups create ${approver.name}\``;
    }
    if (members === 0) return `group '${approver.name}' has no active member, so nobody in it can approve`;
    return undefined;
  }
  if (approver.kind === 'user') {
    const matches = matchingHumans(approver.name, humans);
    if (matches === 0) return `user:${approver.name} names no human of the tenant`;
    if (matches > 1)
      return `user:${approver.name} names ${matches} humans of the tenant; use an e-mail address or an id`;
  }
  return undefined;
}

/** How many humans a `user:` name picks out, resolved like the server resolves it. */
function matchingHumans(name: string, humans: TenantDirectory['humans']): number {
  const wanted = name.trim().toLowerCase();
  if (humans.some((h) => h.id === name.trim())) return 1;
  if (humans.some((h) => h.email.toLowerCase() === wanted)) return 1;
  return humans.filter(
    (h) => h.email.toLowerCase().split('@')[0] === wanted || h.name.toLowerCase() === wanted,
  ).length;
}
