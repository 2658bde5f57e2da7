import { decide, EMPTY_TASK, loadBundleFromFiles, type TaskFacts } from '@warden/policy';
import { describe, expect, it } from 'vitest';
import { type HistoryCheck, recheckedDecision } from '../src/decisions/history-check.js';

const loaded = loadBundleFromFiles([
  {
    path: 'p.yaml',
    text: `apiVersion: warden/v1
kind: Policy
metadata: { name: p, owner: alice@example.com }
spec:
  rules:
    - id: first-three
      effect: allow
      tools: [t]
      when: task.calls < 3
    - id: then-review
      effect: review
      tools: [t]
      when: task.calls >= 3 && task.calls < 5
`,
  },
]);
if (!loaded.ok) throw new Error('bundle');
const bundle = loaded.bundle;
const input = { agent: { id: 'a' }, tool: 't' };
const withCalls = (calls: number): TaskFacts => ({
  ...EMPTY_TASK,
  calls,
  tool_calls: { t: calls },
  tools: ['t'],
});

function checkAt(calls: number): { check: HistoryCheck; decided: ReturnType<typeof decide> } {
  const task = withCalls(calls);
  const decided = decide(bundle, { ...input, task });
  return { decided, check: { bundle, input, task, seq: calls, effect: decided.effect } };
}

describe('re-checking a verdict against the history the call follows', () => {
  it('keeps the decision when the history is the same, or the verdict on it is', () => {
    const { decided, check } = checkAt(0);
    expect(recheckedDecision(decided, check, withCalls(0))).toBe(decided);
    expect(recheckedDecision(decided, check, withCalls(2))).toBe(decided);
  });

  it("takes the policy's deny when the history now denies", () => {
    const { decided, check } = checkAt(0);
    expect(recheckedDecision(decided, check, withCalls(7))).toMatchObject({
      effect: 'deny',
      code: 'no_grant',
    });
  });

  it('turns an allow the history now reviews into a task_history_changed deny (no request was prepared)', () => {
    const { decided, check } = checkAt(2);
    expect(recheckedDecision(decided, check, withCalls(3))).toMatchObject({
      effect: 'deny',
      code: 'task_history_changed',
      decidingRule: 'then-review',
      approval: null,
    });
  });

  it('stands by the stricter decision when the history now allows more', () => {
    const { decided, check } = checkAt(4);
    expect(decided.effect).toBe('review');
    expect(recheckedDecision(decided, check, withCalls(1))).toBe(decided);
  });
});
