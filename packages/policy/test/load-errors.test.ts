import { describe, expect, it } from 'vitest';
import { formatIssue, MAX_FILE_BYTES } from '../src/index.js';
import { load, loadErrors, policy } from './helpers.js';

const rule = (body: string) => policy(body);
const firstError = (files: Record<string, string>) => {
  const issue = loadErrors(files)[0];
  if (!issue) throw new Error('no issue');
  return issue;
};

describe('loading: parse and schema errors name file, line, field and what was expected', () => {
  it('reports malformed YAML with its position', () => {
    const issue = firstError({ 'bad.yaml': 'apiVersion: warden/v1\nkind: [Policy\nmetadata: {}\n' });
    expect(issue.file).toBe('bad.yaml');
    expect(issue.line).toBeGreaterThan(0);
    expect(issue.message).toMatch(/^invalid YAML: /);
  });

  it('rejects duplicate keys in a mapping', () => {
    const issue = firstError({ 'dup.yaml': 'apiVersion: warden/v1\napiVersion: warden/v1\n' });
    expect(issue.message).toMatch(/invalid YAML: Map keys must be unique/);
    expect(issue.line).toBe(2);
  });

  it('rejects a wrong apiVersion and kind', () => {
    const issues = loadErrors({
      'p.yaml': policy('- {id: a, effect: allow, tools: [x]}')
        .replace('warden/v1', 'warden/v2')
        .replace('kind: Policy', 'kind: Polcy'),
    });
    expect(issues.map(formatIssue)).toEqual([
      'p.yaml:1:13: error: apiVersion: expected warden/v1, got "warden/v2"',
      'p.yaml:2:7: error: kind: expected one of Policy, Guardrail, ToolCatalog, Signals, got "Polcy"',
    ]);
  });

  it('names an unknown key, suggests the intended one, and points at the key', () => {
    const text = policy(`- id: refunds
  effect: allow
  tools: [payments.refund]
  whn: args.amount > 5`);
    const issue = firstError({ 'p.yaml': text });
    expect(formatIssue(issue)).toBe(
      "p.yaml:11:7: error: spec.rules[0].whn: unknown key 'whn' (did you mean 'when'?); expected one of id, effect, tools, when, reason, approval, label",
    );
  });

  it('reports a wrong effect with the allowed values', () => {
    const issue = firstError({ 'p.yaml': rule('- {id: a, effect: permit, tools: [x]}') });
    expect(issue.field).toBe('spec.rules[0].effect');
    expect(issue.message).toBe('expected one of allow, review, deny, got "permit"');
    expect(issue.line).toBe(8);
  });

  it('reports wrong types', () => {
    expect(firstError({ 'p.yaml': rule('- {id: a, effect: allow, tools: payments.refund}') }).message).toBe(
      'expected a list of strings, got "payments.refund"',
    );
    expect(firstError({ 'p.yaml': rule('- {id: 7, effect: allow, tools: [x]}') }).message).toBe(
      'expected a string, got a number (7)',
    );
    expect(
      firstError({
        'p.yaml': policy('- {id: a, effect: allow, tools: [x]}').replace(
          'owner: owner@example.com',
          'owner: [a]',
        ),
      }).message,
    ).toBe('expected a string, got a list');
  });

  it('requires metadata.owner, rules and tools', () => {
    const noOwner = policy('- {id: a, effect: allow, tools: [x]}').replace(
      '  owner: owner@example.com\n',
      '',
    );
    expect(firstError({ 'p.yaml': noOwner })).toMatchObject({
      field: 'metadata.owner',
      message: 'is required',
    });
    expect(firstError({ 'p.yaml': rule('- {id: a, effect: allow}') })).toMatchObject({
      field: 'spec.rules[0].tools',
      message: 'is required: a list of tool names or globs such as crm.*',
    });
    expect(firstError({ 'p.yaml': rule('- {id: a, effect: allow, tools: []}') }).message).toBe(
      'must name at least one tool or glob',
    );
    const noRules = 'apiVersion: warden/v1\nkind: Policy\nmetadata: {name: p, owner: o}\nspec: {}\n';
    expect(firstError({ 'p.yaml': noRules })).toMatchObject({
      field: 'spec.rules',
      message: 'is required: a policy without rules grants nothing',
    });
  });

  it('rejects bad tool names, rule ids and tiers', () => {
    expect(firstError({ 'p.yaml': rule('- {id: a, effect: allow, tools: ["pay ments"]}') }).message).toMatch(
      /^expected a tool name or glob/,
    );
    expect(firstError({ 'p.yaml': rule('- {id: "-a", effect: allow, tools: [x]}') }).field).toBe(
      'spec.rules[0].id',
    );
    const issue = firstError({
      'p.yaml': policy('- {id: a, effect: allow, tools: [x]}', { agents: 'tiers: [trusted, gold]' }),
    });
    expect(issue).toMatchObject({
      field: 'spec.agents.tiers[1]',
      message: 'expected one of sandbox, monitored, trusted, got "gold"',
    });
  });

  it('rejects an allow rule in a Guardrail', () => {
    const issue = firstError({
      'g.yaml': policy('- {id: g, effect: allow, tools: ["*"]}', { kind: 'Guardrail' }),
    });
    expect(issue).toMatchObject({ field: 'spec.rules[0].effect', rule: 'g' });
    expect(issue.message).toBe('a Guardrail may only deny or review; grant access in a Policy');
  });

  it('validates approval requirements', () => {
    const review = (approval: string) =>
      rule(`- id: r\n  effect: review\n  tools: [x]\n  approval: ${approval}`);
    expect(firstError({ 'p.yaml': review('{approvers: [team:leads]}') })).toMatchObject({
      field: 'spec.rules[0].approval.approvers[0]',
      message:
        'expected group:<name>, user:<name>, initiator, or {initiator: {reauth: true}}, got "team:leads"',
    });
    expect(firstError({ 'p.yaml': review('{approvers: [group:leads], timeout: soon}') }).message).toBe(
      'expected a duration from 1s to 30d such as 90s, 15m, 1h or 1h30m, got "soon"',
    );
    expect(firstError({ 'p.yaml': review('{approvers: [group:leads], onTimeout: escalate}') })).toMatchObject(
      {
        field: 'spec.rules[0].approval.escalateTo',
        message: 'is required when onTimeout is escalate: who the request goes to next',
      },
    );
    expect(firstError({ 'p.yaml': review('{approvers: [user:a, user:b], required: 3}') }).message).toBe(
      'asks for 3 approvals but only 2 approvers are listed',
    );
    expect(firstError({ 'p.yaml': review('{approvers: [group:leads], mode: later}') }).message).toBe(
      'expected one of pre, post, sample, got "later"',
    );
    expect(
      firstError({ 'p.yaml': rule('- {id: a, effect: allow, tools: [x], approval: {approvers: [group:x]}}') })
        .message,
    ).toBe(
      "only review rules and sampling allow rules (mode: sample) take an approval; this rule's effect is allow",
    );
    expect(
      firstError({ 'p.yaml': review('{approvers: [group:a], steps: [{name: s, approvers: [group:b]}]}') })
        .message,
    ).toBe('give either approvers (with required) or steps, not both');
  });

  it('reports CEL type errors, unknown variables and fields, naming the rule', () => {
    const withWhen = (when: string) => rule(`- id: cond\n  effect: allow\n  tools: [x]\n  when: '${when}'`);
    const cases: [string, RegExp][] = [
      ['agent.teir == "trusted"', /No such key: teir/],
      ['user.id == "x"', /Unknown variable: user/],
      ['agent.tier > 5', /no such overload: string > int/],
      ['args.amount +', /Unexpected token: EOF/],
      ['1 + 2', /a condition must be a bool, but this expression is of type int/],
    ];
    for (const [when, pattern] of cases) {
      const issue = firstError({ 'p.yaml': withWhen(when) });
      expect(issue.rule).toBe('cond');
      expect(issue.field).toBe('spec.rules[0].when');
      expect(issue.line).toBe(11);
      expect(issue.message).toMatch(/^rule 'cond': condition does not type-check: /);
      expect(issue.message).toMatch(pattern);
    }
  });

  it('rejects duplicate rule ids and policy names across files', () => {
    const issues = loadErrors({
      'a.yaml': policy('- {id: same, effect: allow, tools: [x]}', { name: 'one' }),
      'b.yaml': policy('- {id: same, effect: deny, tools: [y]}', { name: 'one' }),
    });
    expect(issues.map((i) => i.message)).toEqual([
      "Policy 'one' is also defined in a.yaml:1",
      "duplicate rule id 'same': also used in Policy 'one' (a.yaml); rule ids must be unique in the bundle",
    ]);
  });

  it('rejects files over 1 MiB and bundles over 10,000 rules', () => {
    const big = `${policy('- {id: a, effect: allow, tools: [x]}')}\n#${'x'.repeat(MAX_FILE_BYTES)}\n`;
    expect(firstError({ 'big.yaml': big }).message).toBe(
      'file is larger than 1048576 bytes (1 MiB); split it',
    );
    const rules = Array.from(
      { length: 10_001 },
      (_, i) => `- {id: r${i}, effect: allow, tools: [t${i}]}`,
    ).join('\n');
    expect(loadErrors({ 'many.yaml': policy(rules) }).map((i) => i.message)).toContain(
      'the bundle holds 10001 rules; at most 10000 are allowed',
    );
  });

  it('refuses YAML alias bombs instead of expanding them', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 8; i++)
      bomb.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`,
      );
    const issue = firstError({ 'bomb.yaml': bomb.join('\n') });
    expect(issue.message).toMatch(/^invalid YAML: .*alias/i);
  });

  it('refuses empty selector lists and empty rule lists instead of reading them as "everything"', () => {
    expect(
      firstError({ 'p.yaml': policy('- {id: a, effect: allow, tools: [x]}', { agents: 'ids: []' }) }),
    ).toMatchObject({
      field: 'spec.agents.ids',
      message: 'must list at least one entry; omit the key to select every agent',
    });
    expect(
      firstError({ 'p.yaml': policy('- {id: a, effect: allow, tools: [x]}', { agents: 'tiers: []' }) }).field,
    ).toBe('spec.agents.tiers');
    expect(
      firstError({
        'p.yaml': 'apiVersion: warden/v1\nkind: Policy\nmetadata: {name: p, owner: o}\nspec: {rules: []}\n',
      }).message,
    ).toBe('expected a non-empty list of rules');
  });

  it('refuses an approver listed twice: required counts distinct humans', () => {
    const issue = firstError({
      'p.yaml': rule(
        '- {id: r, effect: review, tools: [x], approval: {approvers: [user:bob, user:bob], required: 2}}',
      ),
    });
    expect(issue).toMatchObject({
      field: 'spec.rules[0].approval.approvers[1]',
      message: 'user:bob is listed twice',
    });
    const spaced = firstError({
      'p.yaml': rule(
        '- {id: r, effect: review, tools: [x], approval: {approvers: ["user:bob", "user: bob"], required: 2}}',
      ),
    });
    expect(spaced.message).toBe('user:bob is listed twice');
  });

  it('accepts leading and trailing document separators', () => {
    expect(load({ 'p.yaml': `---\n${policy('- {id: a, effect: allow, tools: [x]}')}---\n` }).ok).toBe(true);
  });

  it('rejects an empty bundle: zero documents is almost always a wrong directory', () => {
    expect(firstError({}).message).toBe('the bundle holds no Policy or Guardrail document');
  });
});

describe('loading is all or nothing', () => {
  it('one bad file rejects the whole bundle, and every error is reported', () => {
    const result = load({
      'good.yaml': policy('- {id: ok, effect: allow, tools: [x]}', { name: 'good' }),
      'bad1.yaml': policy('- {id: b1, effect: maybe, tools: [x]}', { name: 'bad1' }),
      'bad2.yaml': policy("- {id: b2, effect: allow, tools: [x], when: 'agent.nope'}", { name: 'bad2' }),
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.file).sort()).toEqual(['bad1.yaml']);
  });

  it('type errors surface once the schema is clean, still rejecting the bundle', () => {
    const result = load({
      'good.yaml': policy('- {id: ok, effect: allow, tools: [x]}', { name: 'good' }),
      'bad2.yaml': policy("- {id: b2, effect: allow, tools: [x], when: 'agent.nope'}", { name: 'bad2' }),
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.rule)).toEqual(['b2']);
  });

  it('the version is a content hash: formatting and comments do not change it, content does', () => {
    const a = load({ 'p.yaml': policy('- {id: a, effect: allow, tools: [x]}') });
    const b = load({ 'renamed.yaml': `# a comment\n${policy('- id: a\n  tools: [x]\n  effect: allow')}` });
    const c = load({ 'p.yaml': policy('- {id: a, effect: allow, tools: [y]}') });
    if (!a.ok || !b.ok || !c.ok) throw new Error('expected all to load');
    expect(a.bundle.version).toMatch(/^[0-9a-f]{64}$/);
    expect(b.bundle.version).toBe(a.bundle.version);
    expect(c.bundle.version).not.toBe(a.bundle.version);
  });
});
