import { compileGlob, type GrantingRule, type VisibilityIndex } from '@warden/policy';
import type { UsageGroup } from './drift-usage.js';
import { type Suggestion, suggestForGrant, suggestForRule } from './suggestions.js';

/** A permission was exercised in the window, for some of what it grants, or not at all. */
export type PermissionStatus = 'used' | 'partly_used' | 'unused';

export interface RuleDrift {
  readonly id: string;
  readonly effect: 'allow' | 'review';
  readonly tools: readonly string[];
  readonly conditional: boolean;
  readonly policy: string;
  /** Who changes the policy (its `metadata.owner`). */
  readonly policyOwner: string;
  readonly file: string;
  readonly line: number;
  /** Allowed or reviewed calls this rule decided in the window. */
  readonly calls: number;
  readonly lastUsedAt: number | null;
  readonly usedTools: readonly string[];
  /** Known tools the rule opens to the agent that it never called through the rule. */
  readonly unusedTools: readonly string[];
  readonly status: PermissionStatus;
}

export interface GrantDrift {
  readonly id: string;
  readonly tools: readonly string[];
  readonly expiresAt: number;
  readonly calls: number;
  readonly lastUsedAt: number | null;
  readonly status: PermissionStatus;
}

export interface ToolUse {
  readonly tool: string;
  readonly calls: number;
  readonly lastUsedAt: number;
}

/** A permission the agent did not use in the window, and the change that would remove it. */
export interface Candidate {
  readonly kind: 'rule' | 'grant';
  /** The rule's or the grant's id. */
  readonly id: string;
  readonly status: 'partly_used' | 'unused';
  readonly unusedTools: readonly string[];
  readonly suggestion: Suggestion;
}

export interface AgentDrift {
  readonly agentId: string;
  readonly name: string;
  readonly ownerId: string;
  readonly status: string;
  readonly risk: string;
  /** The window's start, or the agent's creation when it is younger than the window. */
  readonly observedFrom: number;
  /** False when the agent is younger than the window: it had less time to use what it holds. */
  readonly fullWindow: boolean;
  readonly decisions: { readonly allow: number; readonly review: number; readonly deny: number };
  readonly rules: readonly RuleDrift[];
  readonly grants: readonly GrantDrift[];
  readonly tools: {
    /** Known tools (MCP servers, tool catalogs, calls made) the agent could be allowed or reviewed for. */
    readonly allowed: readonly string[];
    readonly used: readonly ToolUse[];
    /** Allowed but not called (allowed or reviewed) in the window. */
    readonly unused: readonly string[];
  };
  readonly candidates: readonly Candidate[];
}

export interface AgentDriftInput {
  readonly agent: {
    readonly id: string;
    readonly name: string;
    readonly ownerId: string;
    readonly status: string;
    readonly risk: string;
    readonly createdAt: number;
  };
  readonly window: { readonly from: number; readonly to: number; readonly days: number };
  /** Absent when the tenant has no active bundle (nothing is granted by rules). */
  readonly visibility: VisibilityIndex | undefined;
  readonly rules: readonly GrantingRule[];
  readonly grants: readonly {
    readonly id: string;
    readonly tools: readonly string[];
    readonly expiresAt: number;
  }[];
  readonly knownTools: readonly string[];
  /** This agent's decision groups in the window. */
  readonly usage: readonly UsageGroup[];
  /** Per rule, the tools any agent of the tenant used through it in the window, and how many agents. */
  readonly ruleUses: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

const GRANTING_EFFECTS = new Set(['allow', 'review']);

/**
 * One agent's drift: what its rules and temporary grants open to it against what it called in the
 * window. Pure: everything it reads was fetched (and aggregated by the database) before.
 */
export function agentDrift(input: AgentDriftInput): AgentDrift {
  const { agent, window, visibility, usage } = input;
  const granting = usage.filter((g) => GRANTING_EFFECTS.has(g.effect));
  const decisions = { allow: 0, review: 0, deny: 0 };
  for (const group of usage) {
    if (group.effect === 'allow' || group.effect === 'review' || group.effect === 'deny') {
      decisions[group.effect] += group.calls;
    }
  }

  const usedTools = toolUses(granting);
  const used = new Set(usedTools.map((u) => u.tool));
  const known = [...new Set([...input.knownTools, ...used])].sort();
  // Each tool's visibility once: the rules below ask which of them grant it.
  const grantedBy = new Map<string, readonly string[]>();
  for (const tool of known) {
    const seen = visibility?.visibility(tool);
    if (seen?.visible) grantedBy.set(tool, seen.grantingRules);
  }
  const allowed = [...grantedBy.keys()];

  const rules = input.rules.map((rule) => ruleDrift(rule, granting, grantedBy));
  const grants = input.grants.map((grant) => grantDrift(grant, granting));
  const candidates: Candidate[] = [];
  for (const [i, rule] of rules.entries()) {
    if (rule.status === 'used') continue;
    const source = input.rules[i] as GrantingRule;
    candidates.push({
      kind: 'rule',
      id: rule.id,
      status: rule.status,
      unusedTools: rule.unusedTools,
      suggestion: suggestForRule(source, rule, agent, input.ruleUses.get(rule.id), window.days),
    });
  }
  for (const grant of grants) {
    if (grant.status !== 'unused') continue;
    candidates.push({
      kind: 'grant',
      id: grant.id,
      status: 'unused',
      unusedTools: grant.tools.filter((t) => !used.has(t)),
      suggestion: suggestForGrant(grant, agent, window.days),
    });
  }

  const observedFrom = Math.max(window.from, agent.createdAt);
  return {
    agentId: agent.id,
    name: agent.name,
    ownerId: agent.ownerId,
    status: agent.status,
    risk: agent.risk,
    observedFrom,
    fullWindow: agent.createdAt <= window.from,
    decisions,
    rules,
    grants,
    tools: { allowed, used: usedTools, unused: allowed.filter((t) => !used.has(t)) },
    candidates,
  };
}

function toolUses(groups: readonly UsageGroup[]): ToolUse[] {
  const byTool = new Map<string, { calls: number; lastUsedAt: number }>();
  for (const group of groups) {
    const seen = byTool.get(group.tool) ?? { calls: 0, lastUsedAt: 0 };
    byTool.set(group.tool, {
      calls: seen.calls + group.calls,
      lastUsedAt: Math.max(seen.lastUsedAt, group.lastAt),
    });
  }
  return [...byTool.entries()]
    .map(([tool, use]) => ({ tool, ...use }))
    .sort((a, b) => a.tool.localeCompare(b.tool));
}

function ruleDrift(
  rule: GrantingRule,
  granting: readonly UsageGroup[],
  grantedBy: ReadonlyMap<string, readonly string[]>,
): RuleDrift {
  const mine = granting.filter((g) => g.code === 'rule' && g.decidedBy === rule.id);
  const usedTools = [...new Set(mine.map((g) => g.tool))].sort();
  const calls = mine.reduce((sum, g) => sum + g.calls, 0);
  const lastUsedAt = mine.length > 0 ? Math.max(...mine.map((g) => g.lastAt)) : null;
  // The known tools this rule opens to the agent: matched by its patterns, visible, and granted by it.
  const matchers = rule.tools.map(compileGlob);
  const opens = [...grantedBy]
    .filter(([tool, rules]) => rules.includes(rule.id) && matchers.some((matches) => matches(tool)))
    .map(([tool]) => tool);
  const unusedTools = opens.filter((tool) => !usedTools.includes(tool));
  const status: PermissionStatus = calls === 0 ? 'unused' : unusedTools.length > 0 ? 'partly_used' : 'used';
  return {
    id: rule.id,
    effect: rule.effect,
    tools: rule.tools,
    conditional: rule.conditional,
    policy: rule.policy,
    policyOwner: rule.policyOwner,
    file: rule.file,
    line: rule.line,
    calls,
    lastUsedAt,
    usedTools,
    unusedTools,
    status,
  };
}

function grantDrift(
  grant: { readonly id: string; readonly tools: readonly string[]; readonly expiresAt: number },
  granting: readonly UsageGroup[],
): GrantDrift {
  const mine = granting.filter((g) => g.code === 'grant' && g.decidedBy === grant.id);
  const calls = mine.reduce((sum, g) => sum + g.calls, 0);
  return {
    id: grant.id,
    tools: grant.tools,
    expiresAt: grant.expiresAt,
    calls,
    lastUsedAt: mine.length > 0 ? Math.max(...mine.map((g) => g.lastAt)) : null,
    status: calls === 0 ? 'unused' : 'used',
  };
}
