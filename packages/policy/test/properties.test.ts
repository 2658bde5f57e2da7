import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Decision, type DecisionInput, decide, type PolicyBundle } from '../src/index.js';
import { bundleOf } from './helpers.js';

// Small universes so that generated rules and inputs actually meet.
const TOOLS = ['crm.read', 'crm.write', 'mail.send', 'pay.refund'];
const PATTERNS = [...TOOLS, 'crm.*', '*.send', '*'];
const CONDITIONS = [
  undefined,
  'args.n > 5',
  'args.n <= 5',
  '"r1" in agent.roles',
  'has(args.flag)',
  'args.missing > 1',
  'true',
  'false',
];

interface GeneratedRule {
  effect: 'allow' | 'review' | 'deny';
  tools: string[];
  when: string | undefined;
  roles: string[];
}

const ruleArb = (effects: GeneratedRule['effect'][]) =>
  fc.record({
    effect: fc.constantFrom(...effects),
    tools: fc.uniqueArray(fc.constantFrom(...PATTERNS), { minLength: 1, maxLength: 3 }),
    when: fc.constantFrom(...CONDITIONS),
    roles: fc.subarray(['r1', 'r2']),
  });

const inputArb: fc.Arbitrary<DecisionInput> = fc.record({
  agent: fc.record({ id: fc.constantFrom('agt_a', 'agt_b'), roles: fc.subarray(['r1', 'r2']) }),
  tool: fc.constantFrom(...TOOLS, 'other.tool'),
  args: fc.record(
    { n: fc.double({ min: 0, max: 10, noNaN: true }), flag: fc.boolean() },
    { requiredKeys: ['n'] },
  ),
});

/** Each generated rule becomes its own policy (so each has its own agent selector); YAML accepts JSON. */
function toBundle(rules: GeneratedRule[]): PolicyBundle {
  const files: Record<string, string> = {};
  rules.forEach((rule, i) => {
    files[`p${String(i).padStart(3, '0')}.yaml`] = JSON.stringify({
      apiVersion: 'warden/v1',
      kind: 'Policy',
      metadata: { name: `p${i}`, owner: 'owner@example.com' },
      spec: {
        agents: rule.roles.length > 0 ? { roles: rule.roles } : {},
        rules: [
          {
            id: `r${i}`,
            effect: rule.effect,
            tools: rule.tools,
            ...(rule.when ? { when: rule.when } : {}),
            ...(rule.effect === 'review' ? { approval: { approvers: ['group:g'] } } : {}),
          },
        ],
      },
    });
  });
  // A bundle needs a rule; this one names a tool no input calls, so it never matches.
  if (rules.length === 0) {
    files['empty.yaml'] = JSON.stringify({
      apiVersion: 'warden/v1',
      kind: 'Policy',
      metadata: { name: 'e', owner: 'o' },
      spec: { rules: [{ id: 'unused', effect: 'deny', tools: ['never.called'] }] },
    });
  }
  return bundleOf(files);
}

const RANK = { allow: 0, review: 1, deny: 2 } as const;
const withoutTiming = ({ evaluationMicros: _, ...rest }: Decision) => rest;

describe('decision properties', () => {
  it('adding a deny rule never makes a decision less strict', () => {
    fc.assert(
      fc.property(
        fc.array(ruleArb(['allow', 'review', 'deny']), { maxLength: 8 }),
        ruleArb(['deny']),
        inputArb,
        (rules, deny, input) => {
          const before = decide(toBundle(rules), input).effect;
          const after = decide(toBundle([...rules, deny]), input).effect;
          expect(RANK[after]).toBeGreaterThanOrEqual(RANK[before]);
          if (before === 'deny') expect(after).toBe('deny');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('with no allow rules nothing is ever allowed; with only deny rules everything is denied', () => {
    fc.assert(
      fc.property(fc.array(ruleArb(['review', 'deny']), { maxLength: 8 }), inputArb, (rules, input) => {
        expect(decide(toBundle(rules), input).effect).not.toBe('allow');
        const denies = rules.map((r) => ({ ...r, effect: 'deny' as const }));
        expect(decide(toBundle(denies), input).effect).toBe('deny');
      }),
      { numRuns: 150 },
    );
  });

  it('decisions are deterministic: same bundle content and input, same decision', () => {
    fc.assert(
      fc.property(
        fc.array(ruleArb(['allow', 'review', 'deny']), { maxLength: 8 }),
        inputArb,
        (rules, input) => {
          const bundle = toBundle(rules);
          const first = decide(bundle, input);
          expect(withoutTiming(decide(bundle, input))).toEqual(withoutTiming(first));
          const rebuilt = toBundle(rules);
          expect(rebuilt.version).toBe(bundle.version);
          expect(withoutTiming(decide(rebuilt, input))).toEqual(withoutTiming(first));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('every matched rule is reported, and the deciding rule is one of them', () => {
    fc.assert(
      fc.property(
        fc.array(ruleArb(['allow', 'review', 'deny']), { maxLength: 8 }),
        inputArb,
        (rules, input) => {
          const d = decide(toBundle(rules), input);
          if (d.decidingRule !== null) expect(d.rules).toContain(d.decidingRule);
          if (d.code === 'no_grant') expect(d.rules).toEqual([]);
          else expect(d.rules.length).toBeGreaterThan(0);
          if (d.effect === 'review') expect(d.approval).not.toBeNull();
          else expect(d.approval).toBeNull();
          // These bundles never sample, so only a review names owners who may not approve.
          expect(d.sample).toBeNull();
          expect(d.approvalOwners).toEqual(d.effect === 'review' ? ['owner@example.com'] : []);
        },
      ),
      { numRuns: 150 },
    );
  });
});
