import { describe, expect, it } from 'vitest';
import { decide, lintApproversAgainst, readTestFile, runCase, type TenantDirectory } from '../src/index.js';
import { bundleOf, loadErrors, policy } from './helpers.js';

const rules = `
- id: refund-small
  effect: allow
  tools: [payments.refund]
  when: 'args.amount <= 1000'
- id: refund-reauth
  effect: review
  tools: [payments.refund]
  when: 'args.amount > 1000'
  approval:
    approvers: [{initiator: {reauth: true}}]
    timeout: 10m
- id: refund-lead
  effect: review
  tools: [payments.refund]
  when: 'args.amount > 5000'
  approval:
    approvers: [initiator, group:leads]
    required: 2
    timeout: 1h
    onTimeout: escalate
    escalateTo: [group:finance]
- id: export-sample
  effect: allow
  tools: [crm.export]
  approval: {mode: sample, rate: '5%', approvers: [group:auditors], timeout: 3d}`;

const bundle = bundleOf({ 'p.yaml': policy(rules) });
const agent = { id: 'agt_support', roles: ['support-assistant'] };

describe('initiator with reauth', () => {
  it('loads the mapping form and keeps it in the requirement', () => {
    const decision = decide(bundle, { agent, tool: 'payments.refund', args: { amount: 2000 } });
    expect(decision.approval?.steps[0]?.approvers).toEqual([{ kind: 'initiator', reauth: true }]);
  });

  it('a plain initiator stays as it was (no reauth key)', () => {
    const plain = bundleOf({
      'p.yaml': policy(`- {id: r, effect: review, tools: [t], approval: {approvers: [initiator]}}`),
    });
    const decision = decide(plain, { agent, tool: 't' });
    expect(decision.approval?.steps[0]?.approvers).toEqual([{ kind: 'initiator' }]);
  });

  it('merging a reauth step with a plain one keeps the reauth (never weaker)', () => {
    const merged = bundleOf({
      'p.yaml': policy(`
- {id: a, effect: review, tools: [t], approval: {approvers: [initiator], required: 1}}
- {id: b, effect: review, tools: [t], approval: {approvers: [{initiator: {reauth: true}}]}}`),
    });
    const decision = decide(merged, { agent, tool: 't' });
    expect(decision.approval?.steps).toEqual([
      { name: 'approval', approvers: [{ kind: 'initiator', reauth: true }], required: 1 },
    ]);
  });

  it('is type-checked at load', () => {
    const bad = loadErrors({
      'p.yaml': policy(`
- id: r1
  effect: review
  tools: [t]
  approval: {approvers: [{initiator: {reauth: 'yes'}}]}
- id: r2
  effect: review
  tools: [t]
  approval: {approvers: [{group: leads}]}
- id: r3
  effect: review
  tools: [t]
  approval: {approvers: [{initiator: {reauth: true, within: 5m}}]}
- id: r4
  effect: review
  tools: [t]
  approval: {approvers: [initiator, {initiator: {reauth: true}}]}`),
    });
    expect(bad.map((i) => `${i.field}: ${i.message}`)).toEqual([
      'spec.rules[0].approval.approvers[0].initiator.reauth: expected true or false, got "yes"',
      'spec.rules[1].approval.approvers[0]: expected group:<name>, user:<name>, initiator, or {initiator: {reauth: true}}, got a mapping of group; only the initiator takes options',
      "spec.rules[2].approval.approvers[0].initiator.within: unknown key 'within'; expected one of reauth",
      'spec.rules[3].approval.approvers[1]: initiator is listed twice',
    ]);
  });
});

describe('policy tests assert the approval', () => {
  const header = `apiVersion: warden/v1
kind: PolicyTest
agents:
  bot: {id: agt_support, roles: [support-assistant]}
cases:
`;

  it('compares mode, timeout, onTimeout, escalation targets and approvers', () => {
    const { cases, issues } = readTestFile(
      'r.test.yaml',
      `${header}  - name: above $1,000 the initiator re-authenticates
    agent: bot
    tool: payments.refund
    args: {amount: 2000}
    expect:
      effect: review
      approvers: [{initiator: {reauth: true}}]
      approval: {mode: pre, timeout: 10m, onTimeout: deny, escalateTo: [], approvers: [initiator+reauth]}
  - name: above $5,000 leads too, escalating to finance
    agent: bot
    tool: payments.refund
    args: {amount: 6000}
    expect:
      effect: review
      approval: {timeout: 10m, onTimeout: deny, approvers: [{initiator: {reauth: true}}, initiator, group:leads]}
  - name: exports are sampled
    agent: bot
    tool: crm.export
    expect: {effect: allow, approval: {mode: sample, timeout: 3d, approvers: [group:auditors]}}
  - name: wrong on every count
    agent: bot
    tool: payments.refund
    args: {amount: 2000}
    expect:
      effect: review
      approvers: [initiator]
      approval: {mode: post, timeout: 1h, onTimeout: escalate, escalateTo: [group:finance], approvers: [group:leads]}
  - name: no approval at all
    agent: bot
    tool: payments.refund
    args: {amount: 10}
    expect: {effect: allow, approval: {mode: pre}}
`,
    );
    expect(issues).toEqual([]);
    const failures = cases.map((c) => runCase(bundle, c).failures);
    expect(failures.slice(0, 3)).toEqual([[], [], []]);
    expect(failures[3]).toEqual([
      'expected approvers [initiator], got [initiator+reauth]',
      'expected approval mode post, got pre',
      'expected approval timeout 1h (3600s), got 600s',
      'expected onTimeout escalate, got deny',
      'expected escalateTo [group:finance], got []',
      'expected approval approvers [group:leads], got [initiator+reauth]',
    ]);
    expect(failures[4]).toEqual(['expected an approval, but the decision asks for none (effect allow)']);
  });

  it('the merged escalation of a rule that escalates can be asserted', () => {
    const escalating = bundleOf({
      'p.yaml': policy(`
- id: r
  effect: review
  tools: [t]
  approval: {approvers: [group:leads], timeout: 2h, onTimeout: escalate, escalateTo: [group:finance, user:carol], mode: post}`),
    });
    const { cases } = readTestFile(
      'e.test.yaml',
      `${header}  - name: escalates
    agent: bot
    tool: t
    expect: {effect: review, approval: {mode: post, timeout: 2h, onTimeout: escalate, escalateTo: [user:carol, group:finance]}}
`,
    );
    expect(runCase(escalating, cases[0] as (typeof cases)[0]).failures).toEqual([]);
  });

  it('reports bad expectations with their field', () => {
    const { issues } = readTestFile(
      'bad.test.yaml',
      `${header}  - name: bad
    agent: bot
    tool: t
    expect: {effect: review, approval: {mode: later, timeout: soon, onTimeout: wait, escalateTo: [team:x], extra: 1}}
`,
    );
    expect(issues.map((i) => `${i.field}: ${i.message}`)).toEqual([
      "cases[0].expect.approval.extra: unknown key 'extra'; expected one of mode, timeout, onTimeout, escalateTo, approvers",
      'cases[0].expect.approval.mode: expected one of pre, post, sample, got "later"',
      'cases[0].expect.approval.timeout: expected a duration such as 90s, 15m, 1h or 1h30m, got "soon"',
      'cases[0].expect.approval.onTimeout: expected one of deny, escalate, got "wait"',
      'cases[0].expect.approval.escalateTo[0]: expected group:<name>, user:<name>, initiator, or {initiator: {reauth: true}}, got "team:x"',
    ]);
  });
});

describe('lint against a tenant', () => {
  const tenant: TenantDirectory = {
    groups: [
      { name: 'leads', members: 2 },
      { name: 'empty', members: 0 },
    ],
    humans: [
      { id: 'usr_1', email: 'bob@example.com', name: 'Bob' },
      { id: 'usr_2', email: 'sam@a.example', name: 'Sam A' },
      { id: 'usr_3', email: 'sam@b.example', name: 'Sam B' },
    ],
    fallbackGroups: ['security'],
  };

  it('warns about groups and humans the tenant does not have', () => {
    const linted = bundleOf({
      'p.yaml': policy(`
- id: fine
  effect: review
  tools: [a]
  approval: {approvers: [group:leads, user:bob, user:usr_1, user:BOB@example.com, initiator, group:security]}
- id: broken
  effect: review
  tools: [b]
  approval:
    steps:
      - {name: first, approvers: [group:finance, user:carol]}
      - {name: second, approvers: [group:empty, user:sam]}
    onTimeout: escalate
    escalateTo: [group:finance]`),
    });
    expect(lintApproversAgainst(linted, tenant).map((i) => `${i.field}: ${i.message}`)).toEqual([
      "spec.rules[1].approval.steps[0].approvers: rule 'broken': the tenant has no group 'finance'; create it with `warden groups create finance`",
      "spec.rules[1].approval.steps[0].approvers: rule 'broken': user:carol names no human of the tenant",
      "spec.rules[1].approval.steps[1].approvers: rule 'broken': group 'empty' has no active member, so nobody in it can approve",
      "spec.rules[1].approval.steps[1].approvers: rule 'broken': user:sam names 2 humans of the tenant; use an e-mail address or an id",
      "spec.rules[1].approval.escalateTo: rule 'broken': the tenant has no group 'finance'; create it with `warden groups create finance`",
    ]);
  });
});
