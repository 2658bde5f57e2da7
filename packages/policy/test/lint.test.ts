import { describe, expect, it } from 'vitest';
import { formatIssue, lintBundle } from '../src/index.js';
import { bundleOf, load, policy } from './helpers.js';

const catalog = `apiVersion: warden/v1
kind: ToolCatalog
metadata: {name: tools}
spec:
  tools:
    - {name: crm.read, server: crm}
    - crm.write
    - payments.refund
`;

const warningsOf = (files: Record<string, string>) => lintBundle(bundleOf(files)).map((w) => w.message);

describe('policy lint', () => {
  it('warns about a condition that is always false', () => {
    expect(
      warningsOf({ 'p.yaml': policy("- {id: never, effect: allow, tools: [x], when: '1 > 2'}") }),
    ).toEqual(["rule 'never': can never match: its condition is always false"]);
    expect(
      warningsOf({ 'p.yaml': policy("- {id: sometimes, effect: allow, tools: [x], when: 'args.a > 2'}") }),
    ).toEqual([]);
  });

  it('warns about globs and tools matching nothing in the tool catalog', () => {
    const warnings = warningsOf({
      'tools.yaml': catalog,
      'p.yaml': policy(
        '- {id: r, effect: allow, tools: ["crm.*", "billing.*", payments.refund, payments.void]}',
      ),
    });
    expect(warnings).toEqual([
      "rule 'r': glob 'billing.*' matches no tool of the tool catalog",
      "rule 'r': tool 'payments.void' matches no tool of the tool catalog",
    ]);
  });

  it('does not check tools when the bundle has no catalog', () => {
    expect(warningsOf({ 'p.yaml': policy('- {id: r, effect: allow, tools: ["billing.*"]}') })).toEqual([]);
  });

  it('warns about an allow shadowed by an unconditional deny covering its agents and tools', () => {
    const files = {
      'allow.yaml': policy('- {id: refunds, effect: allow, tools: [payments.refund, "payments.refund_*"]}', {
        name: 'a',
        agents: 'roles: [support]\ntiers: [trusted]',
      }),
      'deny.yaml': policy('- {id: no-payments, effect: deny, tools: ["payments.*"]}', {
        name: 'd',
        agents: 'roles: [support, billing]',
      }),
    };
    const [warning] = lintBundle(bundleOf(files));
    expect(warning && formatIssue(warning)).toBe(
      "allow.yaml:11:1: warning: spec.rules[0]: rule 'refunds': is shadowed: the unconditional deny rule 'no-payments' (deny.yaml:10) covers the same agents and tools, so this allow never takes effect",
    );
  });

  it('does not call an allow shadowed when the deny is conditional or narrower', () => {
    const allow = policy('- {id: refunds, effect: allow, tools: [payments.refund]}', {
      name: 'a',
      agents: 'roles: [support]',
    });
    const conditional = policy("- {id: d, effect: deny, tools: ['*'], when: 'args.amount > 5'}", {
      name: 'd',
    });
    const narrowerAgents = policy("- {id: d, effect: deny, tools: ['*']}", {
      name: 'd',
      agents: 'tiers: [sandbox]',
    });
    const narrowerTools = policy("- {id: d, effect: deny, tools: ['payments.void']}", { name: 'd' });
    for (const deny of [conditional, narrowerAgents, narrowerTools]) {
      expect(warningsOf({ 'a.yaml': allow, 'd.yaml': deny })).toEqual([]);
    }
    const alwaysTrue = policy("- {id: d, effect: deny, tools: ['*'], when: 'true'}", { name: 'd' });
    expect(warningsOf({ 'a.yaml': allow, 'd.yaml': alwaysTrue })).toHaveLength(1);
  });

  it('warns about review rules without approvers', () => {
    expect(warningsOf({ 'p.yaml': policy('- {id: r, effect: review, tools: [x]}') })).toEqual([
      "rule 'r': review rule names no approvers; requests will wait for the tenant's default reviewers",
    ]);
  });
});

describe('tool catalog metadata', () => {
  it('validates owner, description and labels', () => {
    const result = load({
      'tools.yaml': catalog.replace(
        'metadata: {name: tools}',
        'metadata: {name: tools, owner: [1], labels: {a: 1}}',
      ),
      'p.yaml': policy('- {id: r, effect: allow, tools: [crm.read]}'),
    });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.issues.map((i) => i.field)).toEqual(['metadata.owner', 'metadata.labels.a']);
  });
});
