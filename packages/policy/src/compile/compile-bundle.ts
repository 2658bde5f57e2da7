import type { CompiledCondition, ConditionEngine } from '../conditions/condition-engine.js';
import type { PolicyIssue } from '../issues.js';
import type { PolicyDocument, Rule, ToolCatalog } from '../model.js';
import type { SignalDeclaration } from '../signals/signals.js';
import { compileGlob, isGlob } from './glob.js';
import { type AgentMatcher, compileSelector } from './selector.js';

export interface CompiledRule {
  readonly rule: Rule;
  readonly policy: PolicyDocument;
  /** Absent for unconditional rules. */
  readonly condition: CompiledCondition | undefined;
  /** Position in the bundle, so merged candidate lists keep bundle order. */
  readonly order: number;
  /** The decision reason when this rule decides: the rule's own, or one derived from it. */
  readonly reason: string;
}

/** The rules of one policy that may apply to a tool, behind the policy's agent selector. */
export interface CandidateGroup {
  readonly selects: AgentMatcher;
  readonly rules: readonly CompiledRule[];
}

/** A loaded, type-checked and indexed policy bundle: the input `decide` needs. Immutable. */
export interface PolicyBundle {
  /** SHA-256 (hex) of the canonical content of the bundle's Policy and Guardrail documents. */
  readonly version: string;
  readonly policies: readonly PolicyDocument[];
  readonly catalogs: readonly ToolCatalog[];
  readonly ruleCount: number;
  readonly engine: ConditionEngine;
  /** The agent signals the bundle declares, by name; a call may report only these. */
  readonly signals: ReadonlyMap<string, SignalDeclaration>;
  /** Whether some condition reads `task`: only then does the caller need to load the task's history. */
  readonly readsTask: boolean;
  /** The candidate rules for a tool, grouped by policy in bundle order. A lookup, not a scan. */
  candidates(tool: string): readonly CandidateGroup[];
  /** Every compiled rule in bundle order (lint and tooling; `decide` uses `candidates`). */
  readonly rules: readonly CompiledRule[];
}

// Tool names come from agents; a hostile agent must not grow the memo without bound.
const MAX_MEMOISED_TOOLS = 10_000;

/** Compiles every rule's condition and builds the tool index; issues name the failing rule. */
export function compileBundle(
  version: string,
  policies: readonly PolicyDocument[],
  catalogs: readonly ToolCatalog[],
  baseEngine: ConditionEngine,
  signals: readonly SignalDeclaration[] = [],
): { bundle?: PolicyBundle; issues: PolicyIssue[] } {
  const issues: PolicyIssue[] = [];
  // An engine that cannot read signals leaves `signals` unknown, so conditions reading it fail to load.
  const engine = baseEngine.withSignals?.(signals) ?? baseEngine;
  // Labels a rule sets; a condition looking for any other one could never see it.
  const setLabels = new Set(policies.flatMap((p) => p.rules.flatMap((rule) => rule.labels ?? [])));
  let readsTask = false;
  const rules: CompiledRule[] = [];
  const exact = new Map<string, CompiledRule[]>();
  const globs: { matches: (tool: string) => boolean; rule: CompiledRule }[] = [];
  const matchers = new Map<PolicyDocument, AgentMatcher>();

  for (const policy of policies) {
    matchers.set(policy, compileSelector(policy.agents));
    policy.rules.forEach((rule, index) => {
      let condition: CompiledCondition | undefined;
      if (rule.when !== undefined) {
        const result = engine.compile(rule.when);
        if (!result.ok) {
          issues.push({
            severity: 'error',
            file: rule.source.file,
            line: rule.source.whenLine,
            column: 1,
            field: `spec.rules[${index}].when`,
            rule: rule.id,
            message: `rule '${rule.id}': condition does not type-check: ${result.message}`,
          });
          return;
        }
        condition = result.condition;
        // An engine that cannot say what a condition reads is taken to read the task.
        readsTask ||= condition.reads?.task ?? true;
        for (const label of condition.reads?.labels ?? []) {
          if (setLabels.has(label)) continue;
          issues.push({
            severity: 'error',
            file: rule.source.file,
            line: rule.source.whenLine,
            column: 1,
            field: `spec.rules[${index}].when`,
            rule: rule.id,
            message: `rule '${rule.id}': looks for the label '${label}' in task.labels, but no rule sets it (give the rule that matches such calls \`label: ${label}\`)`,
          });
        }
      }
      const compiled: CompiledRule = {
        rule,
        policy,
        condition,
        order: rules.length,
        reason: ruleReason(rule),
      };
      rules.push(compiled);
      for (const pattern of new Set(rule.tools)) {
        if (isGlob(pattern)) globs.push({ matches: compileGlob(pattern), rule: compiled });
        else exact.set(pattern, [...(exact.get(pattern) ?? []), compiled]);
      }
    });
  }
  if (issues.length > 0) return { issues };

  const memo = new Map<string, readonly CandidateGroup[]>();
  const lookup = (tool: string): readonly CandidateGroup[] => {
    const matched = new Set<CompiledRule>(exact.get(tool));
    for (const glob of globs) if (glob.matches(tool)) matched.add(glob.rule);
    const ordered = [...matched].sort((a, b) => a.order - b.order);
    const groups: { selects: AgentMatcher; rules: CompiledRule[] }[] = [];
    let current: PolicyDocument | undefined;
    for (const compiled of ordered) {
      if (compiled.policy !== current) {
        current = compiled.policy;
        groups.push({ selects: matchers.get(current) ?? (() => false), rules: [] });
      }
      groups[groups.length - 1]?.rules.push(compiled);
    }
    return groups;
  };

  const bundle: PolicyBundle = {
    version,
    policies,
    catalogs,
    ruleCount: rules.length,
    engine,
    signals: new Map(signals.map((d) => [d.name, d])),
    readsTask,
    rules,
    candidates(tool) {
      const known = memo.get(tool);
      if (known) return known;
      const groups = lookup(tool);
      if (memo.size >= MAX_MEMOISED_TOOLS) memo.clear();
      memo.set(tool, groups);
      return groups;
    },
  };
  return { bundle, issues };
}

function ruleReason(rule: Rule): string {
  if (rule.reason) return rule.reason;
  const verb =
    rule.effect === 'allow' ? 'allows' : rule.effect === 'review' ? 'requires review of' : 'denies';
  return `Rule '${rule.id}' ${verb} this call.`;
}
