import type { GrantingRule, SelectedBy } from '@warden/policy';

/**
 * The change that would take an unused permission away. Policies are files in git, so for a rule the
 * change is described (file, policy, rule, line) with a YAML snippet of the edit; a temporary grant
 * is Warden's own, so its change is the API request that revokes it.
 */
export interface Suggestion {
  readonly action: 'remove_rule' | 'narrow_rule' | 'unselect_agent' | 'revoke_grant';
  /** One sentence a human can act on. */
  readonly summary: string;
  readonly file?: string;
  readonly line?: number;
  readonly policy?: string;
  /** Who changes the policy (its `metadata.owner`). */
  readonly policyOwner?: string;
  readonly rule?: string;
  /** The edit, as YAML, for a rule the change can be written out for. */
  readonly yaml?: string;
  /** The request that makes the change, for a grant. */
  readonly request?: { readonly method: 'DELETE'; readonly path: string };
}

interface AgentRef {
  readonly id: string;
  readonly name: string;
}

interface RuleUse {
  readonly id: string;
  readonly status: 'used' | 'partly_used' | 'unused';
  readonly unusedTools: readonly string[];
}

/**
 * For a rule the agent did not use (or used for only some of the tools it opens). `usesByTool` is the
 * tenant's use of the rule in the window (tool -> agents), so a suggestion never takes away what
 * another agent used: a rule nobody used is removed, a rule others use is narrowed to what was used,
 * or the agent is taken out of the policy's selection.
 */
export function suggestForRule(
  rule: GrantingRule,
  drift: RuleUse,
  agent: AgentRef,
  usesByTool: ReadonlyMap<string, number> | undefined,
  days: number,
): Suggestion {
  const where = {
    file: rule.file,
    line: rule.line,
    policy: rule.policy,
    policyOwner: rule.policyOwner,
    rule: rule.id,
  };
  const usedTools = [...(usesByTool?.keys() ?? [])].sort();
  if (drift.status === 'partly_used') {
    return {
      action: 'narrow_rule',
      summary: `Narrow rule '${rule.id}' (policy ${rule.policy}, ${rule.file}:${rule.line}) to the tools used through it in the last ${days} days; agent ${agent.name} never called ${list(drift.unusedTools)} through it.`,
      ...where,
      yaml: [
        `# ${rule.file}, policy ${rule.policy}: rule '${rule.id}' (line ${rule.line}), other fields unchanged`,
        `- id: ${rule.id}`,
        `  tools: ${flow(usedTools)}  # was: ${flow(rule.tools)}`,
        '',
      ].join('\n'),
    };
  }
  if (usedTools.length === 0) {
    return {
      action: 'remove_rule',
      summary: `Remove rule '${rule.id}' (policy ${rule.policy}, ${rule.file}:${rule.line}): no agent it applies to used it in the last ${days} days.`,
      ...where,
      yaml: [
        `# ${rule.file}, policy ${rule.policy}: delete this rule (line ${rule.line})`,
        `- id: ${rule.id}`,
        `  tools: ${flow(rule.tools)}`,
        '',
      ].join('\n'),
    };
  }
  return {
    action: 'unselect_agent',
    summary: `Agent ${agent.name} did not use rule '${rule.id}' (policy ${rule.policy}, ${rule.file}:${rule.line}) in the last ${days} days, but other agents do: ${howToUnselect(rule.selectedBy, rule.policy, agent)}.`,
    ...where,
    ...(rule.selectedBy.id
      ? {
          yaml: [
            `# ${rule.file}, policy ${rule.policy}: spec.agents.ids without this agent`,
            'spec:',
            '  agents:',
            `    ids: [...]  # remove ${agent.id}`,
            '',
          ].join('\n'),
        }
      : {}),
  };
}

export function suggestForGrant(
  grant: { readonly id: string; readonly tools: readonly string[]; readonly expiresAt: number },
  agent: AgentRef,
  days: number,
): Suggestion {
  return {
    action: 'revoke_grant',
    summary: `Revoke temporary grant ${grant.id} (${list(grant.tools)}, until ${new Date(grant.expiresAt).toISOString()}): agent ${agent.name} did not use it in the last ${days} days.`,
    request: { method: 'DELETE', path: `/v1/agents/${agent.id}/grants/${grant.id}` },
  };
}

function howToUnselect(by: SelectedBy, policy: string, agent: AgentRef): string {
  if (by.id) return `remove ${agent.id} from spec.agents.ids of policy ${policy}`;
  if (by.everyAgent) {
    return `policy ${policy} applies to every agent; give it a selector (spec.agents.ids or roles) naming the agents that use the rule`;
  }
  if (by.roles.length > 0) {
    return `policy ${policy} selects it by role ${list(by.roles)}; drop the role from the agent if no other policy needs it, or move the rule to a policy selecting the agents that use it`;
  }
  return `policy ${policy} selects it by tier, labels or environment; move the rule to a policy selecting the agents that use it`;
}

const PLAIN_SCALAR = /^[A-Za-z0-9_][A-Za-z0-9_.\-*/]*$/;

/** A YAML flow sequence; a name that is not a plain scalar (`*.read` starts an alias) is quoted. */
function flow(items: readonly string[]): string {
  return `[${items.map((item) => (PLAIN_SCALAR.test(item) ? item : JSON.stringify(item))).join(', ')}]`;
}

function list(items: readonly string[]): string {
  return items.length === 0 ? 'nothing' : items.join(', ');
}
