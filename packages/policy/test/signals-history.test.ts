import { describe, expect, it } from 'vitest';
import {
  decide,
  type LoadResult,
  loadBundleFromFiles,
  type PolicyBundle,
  readTestFile,
  runCase,
} from '../src/index.js';

const SIGNALS = `apiVersion: warden/v1
kind: Signals
metadata: { name: agent-signals }
spec:
  signals:
    confidence: { type: number, default: 1 }
    risk_score: { type: number }
    human_present: { type: boolean, default: false }
    channel: { type: string, maxLength: 8, default: web }
`;

const POLICY = `apiVersion: warden/v1
kind: Policy
metadata: { name: support, owner: alice@example.com }
spec:
  rules:
    - id: crm-read
      effect: allow
      tools: [crm.contacts.get]
      label: pii
    - id: email-send
      effect: allow
      tools: [email.send]
    - id: refund
      effect: allow
      tools: [payments.refund]
---
apiVersion: warden/v1
kind: Guardrail
metadata: { name: guardrails, owner: security@example.com }
spec:
  rules:
    - id: low-confidence
      effect: review
      tools: ["*"]
      when: signals.confidence < 0.7
      approval: { approvers: ["group:support-leads"] }
    - id: risky
      effect: deny
      tools: [payments.refund]
      when: signals.risk_score > 0.9
    - id: three-failures
      effect: review
      tools: ["*"]
      when: task.failures[tool.name] >= 3
      approval: { approvers: ["group:support-leads"] }
    - id: pii-then-email
      effect: deny
      tools: [email.send]
      when: '"pii" in task.labels && !args.to.endsWith("@example.com")'
`;

function load(files: Record<string, string>): LoadResult {
  return loadBundleFromFiles(Object.entries(files).map(([path, text]) => ({ path, text })));
}

function bundle(): PolicyBundle {
  const result = load({ 'signals.yaml': SIGNALS, 'policy.yaml': POLICY });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.bundle;
}

const agent = { id: 'bot' };
const fresh = { calls: 0, denied: 0, tool_calls: {}, failures: {}, tools: [], labels: [] };

describe('agent signals', () => {
  it('reads declared signals, with defaults for the ones not given', () => {
    const b = bundle();
    expect(b.signals.size).toBe(4);
    expect(decide(b, { agent, tool: 'email.send', args: { to: 'a@example.com' }, task: fresh }).effect).toBe(
      'allow',
    );
    const low = decide(b, {
      agent,
      tool: 'email.send',
      args: { to: 'a@example.com' },
      signals: { confidence: 0.5 },
      task: fresh,
    });
    expect(low).toMatchObject({ effect: 'review', decidingRule: 'low-confidence' });
  });

  it('fails closed when a signal without a default is read but not given', () => {
    const d = decide(bundle(), { agent, tool: 'payments.refund', args: {}, task: fresh });
    expect(d).toMatchObject({ effect: 'deny', code: 'condition_error', decidingRule: 'risky' });
    expect(d.conditionErrors[0]?.message).toContain('risk_score');
    const given = decide(bundle(), {
      agent,
      tool: 'payments.refund',
      signals: { risk_score: 0.1 },
      task: fresh,
    });
    expect(given.effect).toBe('allow');
  });

  it('denies undeclared, mistyped and oversize signals as invalid input', () => {
    const b = bundle();
    const cases: [Record<string, unknown>, string][] = [
      [{ mood: 1 }, "signals.mood: signal 'mood' is not declared"],
      [{ confidence: 'high' }, 'signals.confidence: expected a number, got a string'],
      [{ human_present: 1 }, 'signals.human_present: expected true or false'],
      [{ channel: 'carrier-pigeon' }, 'signals.channel: expected at most 8 characters'],
      [Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`s${i}`, 1])), 'signals: holds 33 signals'],
    ];
    for (const [signals, message] of cases) {
      const d = decide(b, { agent, tool: 'email.send', signals: signals as never });
      expect(d.code).toBe('invalid_input');
      expect(d.reason).toContain(message);
    }
  });

  it('type-checks conditions over signals at load', () => {
    const wrongType = load({
      's.yaml': SIGNALS,
      'p.yaml': POLICY.replace('signals.confidence < 0.7', 'signals.confidence == "low"'),
    });
    expect(wrongType.ok).toBe(false);
    if (!wrongType.ok) expect(wrongType.issues[0]?.message).toMatch(/low-confidence.*does not type-check/);
    const undeclared = load({
      's.yaml': SIGNALS,
      'p.yaml': POLICY.replace('signals.risk_score', 'signals.risk'),
    });
    expect(undeclared.ok).toBe(false);
    if (!undeclared.ok) expect(undeclared.issues[0]?.message).toContain("signal 'risk' is not declared");
    const none = load({ 'p.yaml': POLICY });
    expect(none.ok).toBe(false);
    if (!none.ok) expect(none.issues[0]?.message).toContain('the bundle declares no signals');
  });

  it('rejects bad declarations', () => {
    const bad = load({
      's.yaml': `apiVersion: warden/v1
kind: Signals
metadata: { name: s }
spec:
  signals:
    confidence: { type: number, default: "high" }
    flag: { type: bool }
    note: { type: number, maxLength: 3 }
    constructor: { type: string }
`,
      'p.yaml': POLICY,
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      const messages = bad.issues.map((i) => `${i.field}: ${i.message}`);
      expect(messages).toEqual(
        expect.arrayContaining([
          expect.stringContaining('spec.signals.confidence.default: expected a number'),
          expect.stringContaining('spec.signals.flag.type: expected one of number, boolean, string'),
          expect.stringContaining('spec.signals.note.maxLength: only applies to string signals'),
          expect.stringContaining("'constructor' is reserved"),
        ]),
      );
    }
  });

  it('changes the version when a declaration changes', () => {
    const a = load({ 's.yaml': SIGNALS, 'p.yaml': POLICY });
    const b = load({ 's.yaml': SIGNALS.replace('default: 1', 'default: 0.9'), 'p.yaml': POLICY });
    expect(a.ok && b.ok && a.bundle.version !== b.bundle.version).toBe(true);
  });
});

describe('task history', () => {
  const empty = { calls: 0, denied: 0, tool_calls: {}, failures: {}, tools: [], labels: [] };

  it('knows whether a bundle reads the task', () => {
    expect(bundle().readsTask).toBe(true);
    const plain = load({ 'p.yaml': POLICY.split('---')[0] as string });
    expect(plain.ok && plain.bundle.readsTask).toBe(false);
  });

  it('escalates the third failure of a tool to a review; other tools read as 0', () => {
    const b = bundle();
    const failed = {
      ...empty,
      calls: 3,
      tool_calls: { 'payments.refund': 3 },
      failures: { 'payments.refund': 3 },
    };
    const input = { agent, tool: 'payments.refund', signals: { risk_score: 0.1 } };
    expect(decide(b, { ...input, task: failed })).toMatchObject({
      effect: 'review',
      decidingRule: 'three-failures',
    });
    expect(decide(b, { ...input, task: { ...failed, failures: { 'payments.refund': 2 } } }).effect).toBe(
      'allow',
    );
    expect(
      decide(b, { ...input, tool: 'email.send', args: { to: 'x@example.com' }, task: failed }).effect,
    ).toBe('allow');
  });

  it('labels a task with the labels of matched rules, and a labelled task may not email outside', () => {
    const b = bundle();
    const read = decide(b, { agent, tool: 'crm.contacts.get', task: empty });
    expect(read).toMatchObject({ effect: 'allow', labels: ['pii'] });
    const outside = { agent, tool: 'email.send', args: { to: 'someone@gmail.com' } };
    expect(decide(b, { ...outside, task: empty }).effect).toBe('allow');
    expect(decide(b, { ...outside, task: { ...empty, labels: ['pii'] } })).toMatchObject({
      effect: 'deny',
      decidingRule: 'pii-then-email',
    });
  });

  it('fails closed when the task is not given', () => {
    const d = decide(bundle(), { agent, tool: 'email.send', args: { to: 'a@example.com' } });
    expect(d).toMatchObject({ effect: 'deny', code: 'condition_error' });
  });

  it('refuses a condition looking for a label no rule sets', () => {
    const result = load({
      's.yaml': SIGNALS,
      'p.yaml': POLICY.replace('"pii" in task.labels', '"phi" in task.labels'),
    });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.issues[0]?.message).toBe(
        "rule 'pii-then-email': looks for the label 'phi' in task.labels, but no rule sets it (give the rule that matches such calls `label: phi`)",
      );
  });

  it('reads signals and a task history in policy tests', () => {
    const { cases, issues } = readTestFile(
      'x.test.yaml',
      `apiVersion: warden/v1
kind: PolicyTest
cases:
  - name: third failure needs a human
    agent: { id: bot }
    tool: payments.refund
    signals: { risk_score: 0.2 }
    task: { failures: { payments.refund: 3 } }
    expect: { effect: review, rules: [refund, three-failures] }
  - name: low confidence
    agent: { id: bot }
    tool: crm.contacts.get
    signals: { confidence: 0.3 }
    task: {}
    expect: { effect: review, labels: [pii] }
  - name: PII then external email
    agent: { id: bot }
    tool: email.send
    args: { to: someone@gmail.com }
    task: { tool_calls: { crm.contacts.get: 1 }, labels: [pii] }
    expect: { effect: deny, rules: [email-send, pii-then-email] }
  - name: wrong signal type
    agent: { id: bot }
    tool: email.send
    signals: { confidence: "high" }
    expect: { effect: deny, code: invalid_input }
`,
    );
    expect(issues).toEqual([]);
    const b = bundle();
    for (const c of cases) expect(runCase(b, c).failures).toEqual([]);
    expect(cases[2]?.input.task).toMatchObject({ calls: 1, tools: ['crm.contacts.get'] });
  });
});
