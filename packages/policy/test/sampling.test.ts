import { describe, expect, it } from 'vitest';
import {
  type ApprovalRequirement,
  decide,
  lintBundle,
  mergeApprovals,
  type PolicyBundle,
  readTestFile,
  runCase,
} from '../src/index.js';
import { bundleOf, decideFor, loadErrors, policy, support } from './helpers.js';

const allowWith = (approval: string) =>
  policy(`- id: exports\n  effect: allow\n  tools: [crm.export]\n  approval: ${approval}`);
const ruleOf = (bundle: PolicyBundle, id: string) => bundle.rules.find((r) => r.rule.id === id)?.rule;

describe('sampling approvals: parsing', () => {
  it('reads a rate given as a number or as a percentage', () => {
    const rateOf = (rate: string) =>
      ruleOf(bundleOf({ 'p.yaml': allowWith(`{mode: sample, rate: ${rate}}`) }), 'exports')?.approval
        ?.sampleRate;
    expect(rateOf('0.05')).toBe(0.05);
    expect(rateOf('"5%"')).toBe(0.05);
    expect(rateOf('5%')).toBe(0.05);
    expect(rateOf('"12.5%"')).toBe(0.125);
    expect(rateOf('"0.5%"')).toBe(0.005);
    expect(rateOf('1')).toBe(1);
    expect(rateOf('"100%"')).toBe(1);
  });

  it('defaults: no steps, a 7-day deadline, deny on timeout', () => {
    const bundle = bundleOf({ 'p.yaml': allowWith('{mode: sample, rate: 0.05}') });
    expect(ruleOf(bundle, 'exports')?.approval).toEqual({
      steps: [],
      timeoutSeconds: 7 * 86_400,
      onTimeout: 'deny',
      escalateTo: [],
      mode: 'sample',
      sampleRate: 0.05,
    });
  });

  it('approvers, steps, timeout and escalation work as for reviews', () => {
    const bundle = bundleOf({
      'p.yaml': allowWith(
        '{mode: sample, rate: "10%", approvers: [group:auditors, user:carol], required: 2, timeout: 2d, onTimeout: escalate, escalateTo: [group:compliance]}',
      ),
    });
    expect(ruleOf(bundle, 'exports')?.approval).toEqual({
      steps: [
        {
          name: 'approval',
          approvers: [
            { kind: 'group', name: 'auditors' },
            { kind: 'user', name: 'carol' },
          ],
          required: 2,
        },
      ],
      timeoutSeconds: 2 * 86_400,
      onTimeout: 'escalate',
      escalateTo: [{ kind: 'group', name: 'compliance' }],
      mode: 'sample',
      sampleRate: 0.1,
    });
    const stepped = bundleOf({
      'p.yaml': allowWith('{mode: sample, rate: 0.2, steps: [{name: first, approvers: [group:a]}]}'),
    });
    expect(ruleOf(stepped, 'exports')?.approval?.steps).toEqual([
      { name: 'first', approvers: [{ kind: 'group', name: 'a' }], required: 1 },
    ]);
  });

  it('refuses rates out of range or of the wrong form, naming the field', () => {
    const errorFor = (rate: string) => {
      const issues = loadErrors({ 'p.yaml': allowWith(`{mode: sample, rate: ${rate}}`) });
      expect(issues).toHaveLength(1);
      const [issue] = issues;
      if (!issue) throw new Error('no issue');
      return issue;
    };
    const hint =
      'expected a share of calls above 0 and at most 1, such as 0.05, or a percentage such as "5%"';
    expect(errorFor('0')).toMatchObject({
      field: 'spec.rules[0].approval.rate',
      message: `${hint}, got a number (0)`,
      line: 11,
    });
    expect(errorFor('1.5')).toMatchObject({
      field: 'spec.rules[0].approval.rate',
      message: `${hint}, got a number (1.5)`,
    });
    expect(errorFor('"150%"')).toMatchObject({
      field: 'spec.rules[0].approval.rate',
      message: `${hint}, got "150%"`,
    });
    expect(errorFor('"0%"').field).toBe('spec.rules[0].approval.rate');
    expect(errorFor('-0.1').message).toBe(`${hint}, got a number (-0.1)`);
    expect(errorFor('often').message).toBe(`${hint}, got "often"`);
    expect(errorFor('"5 %"').field).toBe('spec.rules[0].approval.rate');
    expect(errorFor('".5%"').field).toBe('spec.rules[0].approval.rate');
    expect(errorFor('true').message).toBe(`${hint}, got a boolean (true)`);
    expect(errorFor('[0.1]').message).toBe(`${hint}, got a list`);
  });

  it('requires a rate with sample mode', () => {
    const [issue, ...rest] = loadErrors({ 'p.yaml': allowWith('{mode: sample, approvers: [group:a]}') });
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({
      field: 'spec.rules[0].approval.rate',
      message:
        'is required when mode is sample: a share of calls above 0 and at most 1, such as 0.05, or a percentage such as "5%"',
    });
  });

  it('sample mode is for allow rules only', () => {
    const [issue, ...rest] = loadErrors({
      'p.yaml': policy(
        '- {id: r, effect: review, tools: [t], approval: {approvers: [group:a], mode: sample, rate: 0.1}}',
      ),
    });
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({
      field: 'spec.rules[0].approval.mode',
      message: 'sample mode is for allow rules; a review rule reviews every call',
    });
    const [deny] = loadErrors({
      'p.yaml': policy('- {id: d, effect: deny, tools: [t], approval: {mode: sample, rate: 0.1}}'),
    });
    expect(deny).toMatchObject({
      field: 'spec.rules[0].approval',
      message:
        "only review rules and sampling allow rules (mode: sample) take an approval; this rule's effect is deny",
    });
  });

  it('a rate only applies in sample mode', () => {
    const [issue, ...rest] = loadErrors({
      'p.yaml': policy(
        '- {id: r, effect: review, tools: [t], approval: {approvers: [group:a], mode: post, rate: 0.1}}',
      ),
    });
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({
      field: 'spec.rules[0].approval.rate',
      message: 'only applies when mode is sample',
    });
    expect(
      loadErrors({
        'p.yaml': policy('- {id: r, effect: review, tools: [t], approval: {rate: "5%"}}'),
      })[0],
    ).toMatchObject({ field: 'spec.rules[0].approval.rate', message: 'only applies when mode is sample' });
  });

  it('an allow rule takes an approval only in sample mode', () => {
    const message =
      "only review rules and sampling allow rules (mode: sample) take an approval; this rule's effect is allow";
    for (const approval of ['{approvers: [group:a]}', '{mode: post}', '{mode: pre, rate: 0.1}', '"sample"']) {
      const issues = loadErrors({ 'p.yaml': allowWith(approval) });
      expect(issues.map((i) => [i.field, i.message])).toEqual([['spec.rules[0].approval', message]]);
    }
  });

  it('a Guardrail still cannot allow, sampled or not', () => {
    const [issue] = loadErrors({
      'g.yaml': policy('- {id: g, effect: allow, tools: [t], approval: {mode: sample, rate: 0.1}}', {
        kind: 'Guardrail',
      }),
    });
    expect(issue?.message).toBe('a Guardrail may only deny or review; grant access in a Policy');
  });

  it('the rate is part of the bundle version', () => {
    const a = bundleOf({ 'p.yaml': allowWith('{mode: sample, rate: 0.05}') });
    const b = bundleOf({ 'p.yaml': allowWith('{mode: sample, rate: 0.06}') });
    const c = bundleOf({ 'p.yaml': policy('- {id: exports, effect: allow, tools: [crm.export]}') });
    expect(new Set([a.version, b.version, c.version]).size).toBe(3);
  });
});

describe('sampling approvals: decisions', () => {
  const bundle = bundleOf({
    'sampled.yaml': policy(
      `- {id: exports, effect: allow, tools: [crm.export], approval: {mode: sample, rate: "5%", approvers: [group:auditors]}}
- {id: big-exports, effect: review, tools: [crm.export], when: 'args.rows > 1000', approval: {approvers: [group:leads]}}
- {id: secret-exports, effect: deny, tools: [crm.export], when: 'has(args.secret)'}`,
      { name: 'sampled', owner: 'alice@example.com' },
    ),
    'plain.yaml': policy('- {id: reads, effect: allow, tools: [crm.read]}', {
      name: 'plain',
      owner: 'bob@example.com',
    }),
  });
  const requirement: ApprovalRequirement = {
    steps: [{ name: 'approval', approvers: [{ kind: 'group', name: 'auditors' }], required: 1 }],
    timeoutSeconds: 7 * 86_400,
    onTimeout: 'deny',
    escalateTo: [],
    mode: 'sample',
    sampleRate: 0.05,
  };

  it('an allow decided by a sampling rule carries its requirement and owner', () => {
    expect(decideFor(bundle, 'crm.export', { rows: 10 })).toMatchObject({
      effect: 'allow',
      code: 'rule',
      decidingRule: 'exports',
      approval: null,
      sample: requirement,
      approvalOwners: ['alice@example.com'],
    });
  });

  it('an allow by a rule that does not sample has no sample', () => {
    expect(decideFor(bundle, 'crm.read')).toMatchObject({
      effect: 'allow',
      sample: null,
      approvalOwners: [],
    });
  });

  it('a review or a deny has no sample, and the sample never joins the review', () => {
    const review = decideFor(bundle, 'crm.export', { rows: 5000 });
    expect(review).toMatchObject({ effect: 'review', decidingRule: 'big-exports', sample: null });
    expect(review.approval).toEqual({
      steps: [{ name: 'approval', approvers: [{ kind: 'group', name: 'leads' }], required: 1 }],
      timeoutSeconds: 3600,
      onTimeout: 'deny',
      escalateTo: [],
      mode: 'pre',
    });
    expect(review.approvalOwners).toEqual(['alice@example.com']);
    expect(decideFor(bundle, 'crm.export', { rows: 1, secret: true })).toMatchObject({
      effect: 'deny',
      sample: null,
      approvalOwners: [],
    });
  });

  it('a grant-decided allow has no sample', () => {
    const d = decide(bundle, {
      agent: { ...support, grants: [{ id: 'grt_1', tools: ['crm.*'] }] },
      tool: 'crm.contacts.list',
    });
    expect(d).toMatchObject({ code: 'grant', sample: null, approvalOwners: [] });
  });

  it('only the deciding allow rule samples (the first matched allow rule in bundle order)', () => {
    const first = bundleOf({
      'a.yaml': policy('- {id: plain, effect: allow, tools: [t]}', { name: 'a' }),
      'b.yaml': policy('- {id: sampled, effect: allow, tools: [t], approval: {mode: sample, rate: 0.5}}', {
        name: 'b',
      }),
    });
    expect(decideFor(first, 't')).toMatchObject({ decidingRule: 'plain', sample: null });
    const second = bundleOf({
      'a.yaml': policy('- {id: sampled, effect: allow, tools: [t], approval: {mode: sample, rate: 0.5}}', {
        name: 'a',
      }),
      'b.yaml': policy('- {id: plain, effect: allow, tools: [t]}', { name: 'b' }),
    });
    expect(decideFor(second, 't')).toMatchObject({ decidingRule: 'sampled', sample: { sampleRate: 0.5 } });
  });

  describe('in a delegated call, the deciding verdict samples', () => {
    const chainBundle = bundleOf({
      'caller.yaml': policy(
        '- {id: caller-export, effect: allow, tools: [crm.export], approval: {mode: sample, rate: 0.1}}',
        { name: 'caller', agents: 'roles: [support-assistant]', owner: 'carol@example.com' },
      ),
      'orch.yaml': policy(
        '- {id: orch-export, effect: allow, tools: [crm.export, crm.import], approval: {mode: sample, rate: 0.5}}',
        { name: 'orch', agents: 'roles: [orchestrator]', owner: 'oscar@example.com' },
      ),
      'plain.yaml': policy('- {id: caller-import, effect: allow, tools: [crm.import]}', {
        name: 'plain',
        agents: 'roles: [support-assistant]',
      }),
    });
    const orchestrator = { id: 'agt_orch', roles: ['orchestrator'] };

    it('several agents sample: the caller’s own rule decides', () => {
      const d = decide(chainBundle, { agent: support, tool: 'crm.export', delegation: [orchestrator] });
      expect(d).toMatchObject({
        effect: 'allow',
        decidingAgent: 'agt_support',
        decidingRule: 'caller-export',
        sample: { sampleRate: 0.1 },
        approvalOwners: ['carol@example.com'],
      });
    });

    it('the caller’s deciding rule does not sample: no sample', () => {
      const d = decide(chainBundle, { agent: support, tool: 'crm.import', delegation: [orchestrator] });
      expect(d).toMatchObject({ effect: 'allow', decidingRule: 'caller-import', sample: null });
    });

    it('a delegator that denies leaves no sample', () => {
      const d = decide(chainBundle, { agent: support, tool: 'crm.export', delegation: [{ id: 'agt_x' }] });
      expect(d).toMatchObject({ effect: 'deny', decidingAgent: 'agt_x', sample: null, approvalOwners: [] });
    });
  });

  it('mergeApprovals leaves sampling requirements out', () => {
    const review: ApprovalRequirement = {
      ...requirement,
      mode: 'post',
      sampleRate: undefined,
      timeoutSeconds: 60,
    };
    const { sampleRate: _, ...pre } = review;
    expect(mergeApprovals([requirement])).toBeNull();
    expect(mergeApprovals([requirement, pre])).toEqual(pre);
    expect(mergeApprovals([pre, requirement, { ...pre, mode: 'pre' }])?.mode).toBe('pre');
  });
});

describe('approval owners: who may not approve (separation of duties)', () => {
  const review = (id: string, approvers: string) =>
    `- {id: ${id}, effect: review, tools: [payments.refund], approval: {approvers: [${approvers}]}}`;

  it('merged reviews from two policies list both owners, in bundle order, once each', () => {
    const bundle = bundleOf({
      'a.yaml': policy(review('a-review', 'group:leads'), { name: 'a', owner: 'alice@example.com' }),
      'b.yaml': policy(`${review('b-review', 'group:finance')}\n${review('b-again', 'user:carol')}`, {
        name: 'b',
        owner: 'bob@example.com',
      }),
      'c.yaml': policy(review('c-review', 'group:leads'), { name: 'c', owner: 'alice@example.com' }),
    });
    const d = decideFor(bundle, 'payments.refund');
    expect(d.effect).toBe('review');
    expect(d.rules).toEqual(['a-review', 'b-review', 'b-again', 'c-review']);
    expect(d.approvalOwners).toEqual(['alice@example.com', 'bob@example.com']);
  });

  it('a Guardrail review counts; a matched allow rule does not', () => {
    const bundle = bundleOf({
      'p.yaml': policy('- {id: ok, effect: allow, tools: [payments.refund]}', {
        name: 'p',
        owner: 'paula@example.com',
      }),
      'g.yaml': policy(review('guard', 'group:security'), {
        kind: 'Guardrail',
        name: 'g',
        owner: 'sec@example.com',
      }),
    });
    expect(decideFor(bundle, 'payments.refund')).toMatchObject({
      effect: 'review',
      approvalOwners: ['sec@example.com'],
    });
  });

  it('in a delegated call, the owners of every agent’s review rules', () => {
    const bundle = bundleOf({
      'caller.yaml': policy(review('caller-review', 'group:leads'), {
        name: 'caller',
        agents: 'roles: [support-assistant]',
        owner: 'carol@example.com',
      }),
      'orch.yaml': policy(review('orch-review', 'group:ops'), {
        name: 'orch',
        agents: 'roles: [orchestrator]',
        owner: 'oscar@example.com',
      }),
    });
    const d = decide(bundle, {
      agent: support,
      tool: 'payments.refund',
      delegation: [{ id: 'agt_orch', roles: ['orchestrator'] }],
    });
    expect(d.effect).toBe('review');
    expect(d.approvalOwners).toEqual(['carol@example.com', 'oscar@example.com']);
    expect(d.approval?.steps).toHaveLength(2);
  });
});

describe('sampling in lint and policy tests', () => {
  it('lint warns about a sampling rule without approvers', () => {
    const warnings = (approval: string) =>
      lintBundle(bundleOf({ 'p.yaml': allowWith(approval) })).map((w) => [w.field, w.message]);
    expect(warnings('{mode: sample, rate: 0.05}')).toEqual([
      [
        'spec.rules[0].approval',
        "rule 'exports': sampling rule names no approvers; sampled calls will wait for the tenant's default reviewers",
      ],
    ]);
    expect(warnings('{mode: sample, rate: 0.05, approvers: [group:auditors]}')).toEqual([]);
  });

  it('a case can expect a call to be sampled, or not', () => {
    const bundle = bundleOf({
      'p.yaml': policy(`
- {id: exports, effect: allow, tools: [crm.export], approval: {mode: sample, rate: 0.05, approvers: [group:a]}}
- {id: reads, effect: allow, tools: [crm.read]}`),
    });
    const { cases, issues } = readTestFile(
      's.test.yaml',
      `apiVersion: warden/v1
kind: PolicyTest
cases:
  - {name: sampled, agent: {id: a}, tool: crm.export, expect: {effect: allow, sampled: true}}
  - {name: not sampled, agent: {id: a}, tool: crm.read, expect: {effect: allow, sampled: false}}
  - {name: wrong, agent: {id: a}, tool: crm.read, expect: {effect: allow, sampled: true}}
  - {name: wrong too, agent: {id: a}, tool: crm.export, expect: {effect: allow, sampled: false}}
`,
    );
    expect(issues).toEqual([]);
    expect(cases.map((c) => runCase(bundle, c).failures)).toEqual([
      [],
      [],
      ['expected the call to be sampled, but no sampling rule decided it'],
      ['expected the call not to be sampled, got a sample rate of 0.05'],
    ]);
    const bad = readTestFile(
      'b.test.yaml',
      `apiVersion: warden/v1
kind: PolicyTest
cases:
  - {name: bad, agent: {id: a}, tool: t, expect: {effect: allow, sampled: yes please}}
`,
    );
    expect(bad.issues.map((i) => [i.field, i.message])).toEqual([
      ['cases[0].expect.sampled', 'expected true or false'],
    ]);
  });
});
