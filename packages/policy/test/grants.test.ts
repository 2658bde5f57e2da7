import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AgentFacts,
  CONDITION_VARIABLES,
  createCelEngine,
  type DecisionInput,
  decide,
  MAX_GRANTS,
  readTestFile,
  runCase,
  type TemporaryGrant,
} from '../src/index.js';
import { bundleOf, loadErrors, policy, support } from './helpers.js';

const withGrants = (grants: readonly TemporaryGrant[], agent: AgentFacts = support): AgentFacts => ({
  ...agent,
  grants,
});
const exportGrant: TemporaryGrant = { id: 'grt_x', tools: ['crm.export'] };

describe('temporary grants: an allow after every rule', () => {
  const bundle = bundleOf({
    'p.yaml': policy(`
- {id: kb, effect: allow, tools: [kb.read]}
- {id: refunds-small, effect: allow, tools: [payments.refund], when: 'args.amount <= 100'}
- {id: mail-review, effect: review, tools: [email.send], approval: {approvers: [group:comms]}}`),
    'g.yaml': policy(
      `- {id: no-deletes, effect: deny, tools: ["*.delete"], reason: Deletes are never allowed.}
- {id: exports-reviewed, effect: review, tools: [warehouse.export], approval: {approvers: [group:security]}}`,
      { kind: 'Guardrail', name: 'guard', owner: 'security@example.com' },
    ),
  });

  it('a grant allows a call no rule grants, and says so', () => {
    expect(decide(bundle, { agent: support, tool: 'crm.export' })).toMatchObject({
      effect: 'deny',
      code: 'no_grant',
    });
    const d = decide(bundle, { agent: withGrants([exportGrant]), tool: 'crm.export' });
    expect(d).toMatchObject({
      effect: 'allow',
      code: 'grant',
      decidingRule: 'grt_x',
      decidingAgent: 'agt_support',
      rules: [],
      approval: null,
      sample: null,
      approvalOwners: [],
      conditionErrors: [],
    });
    expect(d.reason).toBe(
      "Temporary grant grt_x allows 'crm.export' (approved access request); it lapses on its own.",
    );
  });

  it('grant tools are globs with the rules’ semantics', () => {
    const agent = withGrants([{ id: 'grt_crm', tools: ['crm.*', 'github.*.close'] }]);
    const codeOf = (tool: string) => decide(bundle, { agent, tool }).code;
    expect(codeOf('crm.contacts.export')).toBe('grant');
    expect(codeOf('crm.')).toBe('grant');
    expect(codeOf('github.pulls.close')).toBe('grant');
    expect(codeOf('crm')).toBe('no_grant');
    expect(codeOf('crmx.read')).toBe('no_grant');
    expect(codeOf('billing.read')).toBe('no_grant');
    expect(codeOf('github.close')).toBe('no_grant');
  });

  it('the first grant that covers the tool decides', () => {
    const agent = withGrants([
      { id: 'grt_a', tools: ['billing.read'] },
      { id: 'grt_b', tools: ['crm.*'] },
      { id: 'grt_c', tools: ['crm.export'] },
    ]);
    expect(decide(bundle, { agent, tool: 'crm.export' }).decidingRule).toBe('grt_b');
  });

  it('an empty grant list is no grant', () => {
    expect(decide(bundle, { agent: withGrants([]), tool: 'crm.export' }).code).toBe('no_grant');
  });

  it('a deny rule beats a grant', () => {
    const d = decide(bundle, {
      agent: withGrants([{ id: 'grt_crm', tools: ['crm.*'] }]),
      tool: 'crm.contacts.delete',
    });
    expect(d).toMatchObject({
      effect: 'deny',
      code: 'rule',
      decidingRule: 'no-deletes',
      reason: 'Deletes are never allowed.',
    });
  });

  it('a condition error beats a grant', () => {
    const d = decide(bundle, {
      agent: withGrants([{ id: 'grt_pay', tools: ['payments.*'] }]),
      tool: 'payments.refund',
      args: { total: 5 },
    });
    expect(d).toMatchObject({ effect: 'deny', code: 'condition_error', decidingRule: 'refunds-small' });
  });

  it('an allow rule beats a grant, and a Policy review beats both', () => {
    const agent = withGrants([{ id: 'grt_all', tools: ['*'] }]);
    expect(decide(bundle, { agent, tool: 'kb.read' })).toMatchObject({
      effect: 'allow',
      code: 'rule',
      decidingRule: 'kb',
    });
    expect(decide(bundle, { agent, tool: 'payments.refund', args: { amount: 500 } })).toMatchObject({
      effect: 'allow',
      code: 'grant',
      decidingRule: 'grt_all',
    });
    expect(decide(bundle, { agent, tool: 'email.send' })).toMatchObject({
      effect: 'review',
      code: 'rule',
      decidingRule: 'mail-review',
    });
  });

  it('a Guardrail review applies to a grant-allowed call', () => {
    expect(decide(bundle, { agent: support, tool: 'warehouse.export' })).toMatchObject({
      effect: 'deny',
      code: 'no_grant',
      approval: null,
      approvalOwners: [],
    });
    const d = decide(bundle, {
      agent: withGrants([{ id: 'grt_wh', tools: ['warehouse.*'] }]),
      tool: 'warehouse.export',
    });
    expect(d).toMatchObject({
      effect: 'review',
      code: 'rule',
      decidingRule: 'exports-reviewed',
      rules: ['exports-reviewed'],
      approvalOwners: ['security@example.com'],
      sample: null,
    });
    expect(d.approval?.steps[0]?.approvers).toEqual([{ kind: 'group', name: 'security' }]);
  });
});

describe('temporary grants in a delegated call: each agent uses its own', () => {
  const bundle = bundleOf({ 'p.yaml': policy('- {id: kb, effect: allow, tools: [kb.read]}') });
  const orchestrator: AgentFacts = { id: 'agt_orch', roles: ['orchestrator'] };

  it('a delegator without a grant blocks the call', () => {
    const d = decide(bundle, {
      agent: withGrants([exportGrant]),
      tool: 'crm.export',
      delegation: [orchestrator],
    });
    expect(d).toMatchObject({ effect: 'deny', code: 'no_grant', decidingAgent: 'agt_orch' });
    expect(d.delegation).toEqual([
      { agentId: 'agt_orch', effect: 'deny', code: 'no_grant', decidingRule: null, rules: [] },
      { agentId: 'agt_support', effect: 'allow', code: 'grant', decidingRule: 'grt_x', rules: [] },
    ]);
  });

  it('a delegator’s grant does not cover the agent acting for it', () => {
    const d = decide(bundle, {
      agent: support,
      tool: 'crm.export',
      delegation: [withGrants([{ id: 'grt_orch', tools: ['crm.*'] }], orchestrator)],
    });
    expect(d).toMatchObject({ effect: 'deny', code: 'no_grant', decidingAgent: 'agt_support' });
  });

  it('allowed when every agent of the chain holds a grant (or a rule) for the tool', () => {
    const d = decide(bundle, {
      agent: withGrants([exportGrant]),
      tool: 'crm.export',
      delegation: [withGrants([{ id: 'grt_orch', tools: ['crm.*'] }], orchestrator)],
    });
    expect(d).toMatchObject({
      effect: 'allow',
      code: 'grant',
      decidingRule: 'grt_x',
      decidingAgent: 'agt_support',
    });
    expect(d.delegation.map((v) => v.decidingRule)).toEqual(['grt_orch', 'grt_x']);
  });
});

describe('malformed grants deny with invalid_input, never throw', () => {
  const bundle = bundleOf({ 'p.yaml': policy("- {id: any, effect: allow, tools: ['*']}") });
  const reasonFor = (grants: unknown, where: 'agent' | 'delegation' = 'agent') => {
    const broken = { id: 'agt_x', grants } as unknown as AgentFacts;
    const input: DecisionInput =
      where === 'agent'
        ? { agent: broken, tool: 't' }
        : { agent: { id: 'agt_y' }, tool: 't', delegation: [broken] };
    const d = decide(bundle, input);
    expect(d).toMatchObject({
      effect: 'deny',
      code: 'invalid_input',
      decidingRule: null,
      sample: null,
      approvalOwners: [],
    });
    return d.reason;
  };

  it('names what is wrong and where', () => {
    expect(reasonFor('crm.*')).toBe('agent.grants must be a list of {id, tools}');
    expect(reasonFor(null)).toBe('agent.grants must be a list of {id, tools}');
    expect(reasonFor({ id: 'g', tools: ['x'] })).toBe('agent.grants must be a list of {id, tools}');
    expect(reasonFor([null])).toBe('agent.grants[0] must be an object {id, tools}');
    expect(reasonFor([['x']])).toBe('agent.grants[0] must be an object {id, tools}');
    expect(reasonFor([{ tools: ['x'] }])).toBe(
      'agent.grants[0].id must be a non-empty string of at most 200 characters',
    );
    expect(reasonFor([{ id: '', tools: ['x'] }])).toMatch(/^agent.grants\[0\].id must be/);
    expect(reasonFor([{ id: 'x'.repeat(201), tools: ['x'] }])).toMatch(/^agent.grants\[0\].id must be/);
    expect(reasonFor([{ id: 7, tools: ['x'] }])).toMatch(/^agent.grants\[0\].id must be/);
    expect(reasonFor([exportGrant, { id: 'g' }])).toBe(
      'agent.grants[1].tools must be a list of 1 to 100 tool names or globs',
    );
    expect(reasonFor([{ id: 'g', tools: [] }])).toMatch(/^agent.grants\[0\].tools must be a list/);
    expect(reasonFor([{ id: 'g', tools: 'crm.*' }])).toMatch(/^agent.grants\[0\].tools must be a list/);
    expect(reasonFor([{ id: 'g', tools: ['crm.read', 'bad tool'] }])).toBe(
      'agent.grants[0].tools[1] must be a tool name or glob of letters, digits, "_", ".", ":", "/", "-" and "*"',
    );
    expect(reasonFor([{ id: 'g', tools: [42] }])).toMatch(/^agent.grants\[0\].tools\[0\] must be/);
    expect(reasonFor([{ id: 'g', tools: Array(101).fill('x') }])).toMatch(/tools must be a list of 1 to 100/);
    expect(reasonFor(Array(MAX_GRANTS + 1).fill(exportGrant))).toBe(
      `agent.grants holds more than ${MAX_GRANTS} grants`,
    );
  });

  it('checks the grants of every delegator too', () => {
    expect(reasonFor([{ id: 'g' }], 'delegation')).toBe(
      'delegation[0].grants[0].tools must be a list of 1 to 100 tool names or globs',
    );
  });

  it('a malformed grant denies even a call a rule allows', () => {
    expect(reasonFor([{ id: 'g', tools: [''] }])).toMatch(/tools\[0\] must be a tool name or glob/);
  });
});

describe('grants are invisible to conditions', () => {
  it('a condition that reads agent.grants does not load', () => {
    const [issue] = loadErrors({
      'p.yaml': policy("- {id: peek, effect: allow, tools: [t], when: 'size(agent.grants) > 0'}"),
    });
    expect(issue).toMatchObject({ rule: 'peek', field: 'spec.rules[0].when' });
    expect(issue?.message).toMatch(/condition does not type-check: .*No such key: grants/);
  });

  it('the bound agent variable holds only the declared fields', () => {
    const engine = createCelEngine();
    const activation = engine.bind({
      agent: { id: 'agt_a', grants: [exportGrant] } as AgentFacts,
      tool: { name: 't', server: '' },
      args: {},
      context: {},
      usage: undefined,
      time: undefined,
      delegation: { depth: 0, chain: [] },
    }) as unknown as { agent: object };
    expect(Object.keys(activation.agent)).toEqual(Object.keys(CONDITION_VARIABLES.agent));
    expect(Object.keys(activation.agent)).not.toContain('grants');
  });

  it('a rule answers the same with or without grants', () => {
    const bundle = bundleOf({
      'p.yaml': policy(`
- {id: probe, effect: deny, tools: [t], when: 'agent.labels.size() > 0 || agent.roles.size() > 1'}
- {id: ok, effect: allow, tools: [t]}`),
    });
    const agent = { id: 'agt_a', roles: ['r'], grants: [{ id: 'grt_1', tools: ['t'] }] };
    expect(decide(bundle, { agent, tool: 't' })).toMatchObject({ effect: 'allow', decidingRule: 'ok' });
  });
});

describe('grants in policy test files', () => {
  const bundle = bundleOf({ 'p.yaml': policy('- {id: kb, effect: allow, tools: [kb.read]}') });

  it('a case can give an agent grants and expect code: grant', () => {
    const { cases, issues } = readTestFile(
      'grants.test.yaml',
      `apiVersion: warden/v1
kind: PolicyTest
agents:
  granted: {id: agt_g, grants: [{id: grt_1, tools: ["crm.*"]}]}
cases:
  - {name: granted export, agent: granted, tool: crm.export, expect: {effect: allow, code: grant, rules: []}}
  - {name: not granted, agent: granted, tool: billing.read, expect: {effect: deny, code: no_grant}}
  - {name: wrong code, agent: granted, tool: kb.read, expect: {effect: allow, code: grant}}
`,
    );
    expect(issues).toEqual([]);
    expect(cases.map((c) => runCase(bundle, c).failures)).toEqual([
      [],
      [],
      ['expected code grant, got rule'],
    ]);
  });

  it('reports malformed grants with their field path', () => {
    const { issues } = readTestFile(
      'bad.test.yaml',
      `apiVersion: warden/v1
kind: PolicyTest
cases:
  - name: bad
    agent: {id: a, grants: [{id: g, tools: ["bad tool"]}, {tools: [x]}, {id: h, tools: []}, x]}
    tool: t
    expect: {effect: deny}
`,
    );
    expect(issues.map((i) => [i.field, i.message])).toEqual([
      ['cases[0].agent.grants[0].tools[0]', 'expected a tool name or glob, got "bad tool"'],
      ['cases[0].agent.grants[1].id', 'is required'],
      ['cases[0].agent.grants[2].tools', 'must name at least one tool or glob'],
      ['cases[0].agent.grants[3]', 'expected a mapping, got "x"'],
    ]);
  });
});

describe('grant properties', () => {
  const bundle = bundleOf({
    'p.yaml': policy(`
- {id: a, effect: allow, tools: ["crm.*"], when: 'args.n > 3'}
- {id: r, effect: review, tools: [mail.send], when: 'args.n > 5', approval: {approvers: [group:g]}}
- {id: d, effect: deny, tools: ["*.delete"], when: 'args.n > 7'}`),
    'g.yaml': policy("- {id: gr, effect: review, tools: ['pay.*']}", { kind: 'Guardrail', name: 'g' }),
  });
  const tools = ['crm.read', 'crm.delete', 'mail.send', 'pay.refund', 'kb.read'];
  const grantArb = fc.array(
    fc.record({
      id: fc.constantFrom('grt_1', 'grt_2'),
      tools: fc.uniqueArray(fc.constantFrom(...tools, 'crm.*', '*.delete', '*'), {
        minLength: 1,
        maxLength: 3,
      }),
    }),
    { maxLength: 3 },
  );

  it('grants only ever turn a no_grant deny into an allow or a Guardrail review', () => {
    fc.assert(
      fc.property(fc.constantFrom(...tools), fc.integer({ min: 0, max: 10 }), grantArb, (tool, n, grants) => {
        const without = decide(bundle, { agent: { id: 'agt' }, tool, args: { n } });
        const withThem = decide(bundle, { agent: { id: 'agt', grants }, tool, args: { n } });
        if (without.code !== 'no_grant') {
          const { evaluationMicros: _a, ...a } = without;
          const { evaluationMicros: _b, ...b } = withThem;
          expect(b).toEqual(a);
        } else if (withThem.code === 'grant') expect(withThem.effect).toBe('allow');
        else if (withThem.effect === 'review') expect(withThem.decidingRule).toBe('gr');
        else expect(withThem.code).toBe('no_grant');
      }),
      { numRuns: 300 },
    );
  });
});
