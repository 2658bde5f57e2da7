import type { CompiledRule, PolicyBundle } from '../compile/compile-bundle.js';
import { compileGlob, isGlob } from '../compile/glob.js';
import { selectsEveryAgent } from '../compile/selector.js';
import type { PolicyIssue } from '../issues.js';
import type { AgentSelector } from '../model.js';

/**
 * Finds rules that load but cannot do what their author meant. Everything here is a warning:
 * errors (duplicate ids, type errors) already stop the bundle from loading.
 */
export function lintBundle(bundle: PolicyBundle): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const catalog = bundle.catalogs.flatMap((c) => c.tools.map((t) => t.name));
  const warn = (compiled: CompiledRule, field: string, message: string) => {
    const index = compiled.policy.rules.indexOf(compiled.rule);
    issues.push({
      severity: 'warning',
      file: compiled.rule.source.file,
      line: compiled.rule.source.line,
      column: 1,
      field: `spec.rules[${index}]${field ? `.${field}` : ''}`,
      rule: compiled.rule.id,
      message: `rule '${compiled.rule.id}': ${message}`,
    });
  };
  const unconditionalDenies = bundle.rules.filter((r) => r.rule.effect === 'deny' && alwaysTrue(r));

  for (const compiled of bundle.rules) {
    const { rule } = compiled;
    if (compiled.condition?.constant === false)
      warn(compiled, 'when', 'can never match: its condition is always false');
    if (catalog.length > 0) {
      for (const pattern of rule.tools) {
        const matches = compileGlob(pattern);
        if (!catalog.some(matches)) {
          warn(
            compiled,
            'tools',
            `${isGlob(pattern) ? 'glob' : 'tool'} '${pattern}' matches no tool of the tool catalog`,
          );
        }
      }
    }
    if (rule.effect === 'review' && (rule.approval?.steps.length ?? 0) === 0) {
      warn(
        compiled,
        'approval',
        "review rule names no approvers; requests will wait for the tenant's default reviewers",
      );
    }
    if (rule.approval?.mode === 'sample' && rule.approval.steps.length === 0) {
      warn(
        compiled,
        'approval',
        "sampling rule names no approvers; sampled calls will wait for the tenant's default reviewers",
      );
    }
    if (rule.effect === 'allow') {
      const shadow = unconditionalDenies.find((deny) => shadows(deny, compiled));
      if (shadow) {
        warn(
          compiled,
          '',
          `is shadowed: the unconditional deny rule '${shadow.rule.id}' (${shadow.rule.source.file}:${shadow.rule.source.line}) covers the same agents and tools, so this allow never takes effect`,
        );
      }
    }
  }
  return issues;
}

function alwaysTrue(compiled: CompiledRule): boolean {
  return compiled.condition === undefined || compiled.condition.constant === true;
}

/** Whether an unconditional deny covers every agent and tool the allow rule could apply to. */
function shadows(deny: CompiledRule, allow: CompiledRule): boolean {
  return (
    coversAgents(deny.policy.agents, allow.policy.agents) &&
    allow.rule.tools.every((t) => coversTool(deny.rule.tools, t))
  );
}

function coversTool(denyPatterns: readonly string[], pattern: string): boolean {
  return denyPatterns.some((deny) => {
    if (deny === pattern || deny === '*') return true;
    if (!isGlob(pattern)) return compileGlob(deny)(pattern);
    // A glob is covered by a one-star deny glob when every expansion keeps the deny's prefix and suffix.
    const parts = deny.split('*');
    if (parts.length !== 2) return false;
    const [prefix = '', suffix = ''] = parts;
    const [head = ''] = pattern.split('*');
    const tail = pattern.slice(pattern.lastIndexOf('*') + 1);
    return head.startsWith(prefix) && tail.endsWith(suffix);
  });
}

/** Every agent `inner` selects is also selected by `outer`. */
function coversAgents(outer: AgentSelector, inner: AgentSelector): boolean {
  if (selectsEveryAgent(outer)) return true;
  const subset = (o: readonly string[], i: readonly string[]) =>
    o.length === 0 || (i.length > 0 && i.every((x) => o.includes(x)));
  return (
    subset(outer.ids, inner.ids) &&
    subset(outer.tiers, inner.tiers) &&
    subset(outer.environments, inner.environments) &&
    subset(outer.roles, inner.roles) &&
    Object.entries(outer.labels).every(([k, v]) => inner.labels[k] === v)
  );
}
