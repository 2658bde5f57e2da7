// `.js`: the root project's tests (NodeNext) compile this file too; the bundler maps it to the .ts.
import type { Policy, PolicyRule } from '../../api/types.js';

/** What changed between two versions, rule by rule (added, removed, changed), keyed by policy and rule id. */
export interface RuleChange {
  readonly policy: string;
  readonly rule: string;
  readonly change: 'added' | 'removed' | 'changed';
  readonly before?: PolicyRule;
  readonly after?: PolicyRule;
}

function index(policies: readonly Policy[]): Map<string, { policy: string; rule: PolicyRule }> {
  const map = new Map<string, { policy: string; rule: PolicyRule }>();
  for (const policy of policies)
    for (const rule of policy.rules) map.set(`${policy.name}/${rule.id}`, { policy: policy.name, rule });
  return map;
}

function comparable(rule: PolicyRule): string {
  const { id, effect, tools, when, reason, approval } = rule;
  return JSON.stringify({ id, effect, tools, when, reason, approval });
}

export function diffPolicies(before: readonly Policy[], after: readonly Policy[]): RuleChange[] {
  const old = index(before);
  const now = index(after);
  const changes: RuleChange[] = [];
  for (const [key, { policy, rule }] of now) {
    const was = old.get(key);
    if (!was) changes.push({ policy, rule: rule.id, change: 'added', after: rule });
    else if (comparable(was.rule) !== comparable(rule))
      changes.push({ policy, rule: rule.id, change: 'changed', before: was.rule, after: rule });
  }
  for (const [key, { policy, rule }] of old)
    if (!now.has(key)) changes.push({ policy, rule: rule.id, change: 'removed', before: rule });
  return changes.sort((a, b) => `${a.policy}/${a.rule}`.localeCompare(`${b.policy}/${b.rule}`));
}

/** A line diff of two texts (longest common subsequence), for a file's YAML: ' ' same, '-' removed, '+' added. */
export function diffLines(before: string, after: string): Array<{ kind: ' ' | '-' | '+'; line: string }> {
  const a = before.split('\n');
  const b = after.split('\n');
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      (lcs[i] as number[])[j] =
        a[i] === b[j]
          ? ((lcs[i + 1] as number[])[j + 1] as number) + 1
          : Math.max((lcs[i + 1] as number[])[j] as number, (lcs[i] as number[])[j + 1] as number);
  const out: Array<{ kind: ' ' | '-' | '+'; line: string }> = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ kind: ' ', line: a[i] as string });
      i++;
      j++;
    } else if (((lcs[i + 1] as number[])[j] as number) >= ((lcs[i] as number[])[j + 1] as number))
      out.push({ kind: '-', line: a[i++] as string });
    else out.push({ kind: '+', line: b[j++] as string });
  }
  while (i < a.length) out.push({ kind: '-', line: a[i++] as string });
  while (j < b.length) out.push({ kind: '+', line: b[j++] as string });
  return out;
}
