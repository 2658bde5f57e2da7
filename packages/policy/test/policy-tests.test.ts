import { describe, expect, it } from 'vitest';
import { formatIssue, readTestFile, runCase } from '../src/index.js';
import { bundleOf, policy } from './helpers.js';

const bundle = bundleOf({
  'p.yaml': policy(`
- {id: small, effect: allow, tools: [payments.refund], when: 'args.amount <= 500'}
- {id: large, effect: review, tools: [payments.refund], when: 'args.amount > 500', approval: {approvers: [group:leads]}}
- {id: huge, effect: review, tools: [payments.refund], when: 'args.amount > 1000', approval: {approvers: [initiator]}}`),
});

const header = `apiVersion: warden/v1
kind: PolicyTest
metadata: {name: refunds}
agents:
  support: {id: agt_support, roles: [support-assistant], tier: trusted}
`;

describe('policy test files', () => {
  it('runs cases and reports what differs', () => {
    const { cases, issues } = readTestFile(
      'refunds.test.yaml',
      `${header}cases:
  - name: small refund
    agent: support
    tool: payments.refund
    args: {amount: 20}
    expect: {effect: allow, rules: [small]}
  - name: huge refund needs leads and the initiator
    agent: support
    tool: payments.refund
    args: {amount: 1500}
    expect: {effect: review, rules: [large, huge], approvers: [group:leads, initiator]}
  - name: wrong expectation
    agent: {id: agt_inline}
    tool: payments.refund
    args: {amount: 700}
    expect: {effect: allow, code: rule, rules: [small], approvers: [user:bob]}
`,
    );
    expect(issues).toEqual([]);
    const results = cases.map((c) => runCase(bundle, c));
    expect(results.map((r) => r.failures)).toEqual([
      [],
      [],
      [
        "expected effect allow, got review (rule 'large': Rule 'large' requires review of this call.)",
        'expected matched rules [small], got [large]',
        'expected approvers [user:bob], got [group:leads]',
      ],
    ]);
    expect(cases[2]?.line).toBe(17);
  });

  it('flags condition errors unless the case expects them', () => {
    const { cases } = readTestFile(
      't.test.yaml',
      `${header}cases:
  - {name: no amount, agent: support, tool: payments.refund, args: {}, expect: {effect: deny}}
  - {name: no amount expected, agent: support, tool: payments.refund, args: {}, expect: {effect: deny, code: condition_error}}
`,
    );
    const [unexpected, expected] = cases.map((c) => runCase(bundle, c).failures);
    expect(unexpected?.[0]).toMatch(
      /^condition of rule 'small' failed: No such key: amount.*add code: condition_error/,
    );
    expect(expected).toEqual([]);
    // When an explicit deny decides, a failing condition elsewhere does not fail the case.
    const denying = bundleOf({
      'p.yaml': policy(`
- {id: block, effect: deny, tools: [payments.refund]}
- {id: small, effect: allow, tools: [payments.refund], when: 'args.amount <= 500'}`),
    });
    for (const c of cases.slice(0, 1)) expect(runCase(denying, c).failures).toEqual([]);
  });

  it('reports malformed test files with line and field', () => {
    const { cases, issues } = readTestFile(
      'bad.test.yaml',
      `${header}defaults: {time: yesterday}
cases:
  - name: unknown fixture
    agent: nobody
    tool: payments.refund
    expect: {effect: allow}
  - name: bad effect
    agent: support
    tool: payments.refund
    expect: {effect: allowed}
  - name: typo
    agent: support
    tool: payments.refund
    expct: {effect: allow}
`,
    );
    expect(cases).toEqual([]);
    expect(issues.map(formatIssue)).toEqual([
      'bad.test.yaml:6:18: error: defaults.time: expected an ISO 8601 time such as "2026-03-02T10:00:00Z", got "yesterday"',
      'bad.test.yaml:9:12: error: cases[0].agent: no agent fixture named "nobody"; define it under agents:',
      'bad.test.yaml:15:22: error: cases[1].expect.effect: expected one of allow, review, deny, got "allowed"',
      "bad.test.yaml:19:5: error: cases[2].expct: unknown key 'expct' (did you mean 'expect'?); expected one of name, agent, tool, server, args, context, usage, time, delegation, signals, task, expect",
      'bad.test.yaml:16:5: error: cases[2].expect: is required: at least the expected effect',
    ]);
  });
});
