import { describe, expect, it } from 'vitest';
import { decide } from '../src/index.js';
import { bundleOf, decideFor, policy, support } from './helpers.js';

describe('combination: deny > review > allow, nothing matched = deny no_grant', () => {
  const bundle = bundleOf({
    'p.yaml': policy(`
- {id: allow-x, effect: allow, tools: [x, both, all3]}
- {id: review-y, effect: review, tools: [y, both, all3], approval: {approvers: [group:leads]}}
- {id: deny-z, effect: deny, tools: [z, all3], reason: Z is off limits.}`),
  });

  it('allow alone allows', () => {
    expect(decideFor(bundle, 'x')).toMatchObject({
      effect: 'allow',
      code: 'rule',
      decidingRule: 'allow-x',
      rules: ['allow-x'],
    });
  });
  it('review beats allow', () => {
    expect(decideFor(bundle, 'both')).toMatchObject({
      effect: 'review',
      decidingRule: 'review-y',
      rules: ['allow-x', 'review-y'],
    });
  });
  it('deny beats review and allow, and its reason is the decision reason', () => {
    const d = decideFor(bundle, 'all3');
    expect(d).toMatchObject({
      effect: 'deny',
      code: 'rule',
      decidingRule: 'deny-z',
      reason: 'Z is off limits.',
      approval: null,
    });
    expect(d.rules).toEqual(['allow-x', 'review-y', 'deny-z']);
  });
  it('an unmatched tool is denied with no_grant and a reason that says what to do', () => {
    const d = decideFor(bundle, 'unknown.tool');
    expect(d).toMatchObject({ effect: 'deny', code: 'no_grant', decidingRule: null, rules: [] });
    expect(d.reason).toMatch(/No rule grants agent 'agt_support' the tool 'unknown.tool'.*Request access/);
  });
  it('reports the bundle version and a measured evaluation time', () => {
    const d = decide(bundle, { agent: support, tool: 'x' }, { clock: fakeClock([1.0, 1.0042]) });
    expect(d.policyVersion).toBe(bundle.version);
    expect(d.evaluationMicros).toBeCloseTo(4.2, 5);
  });
});

describe('guardrails restrict, they never grant', () => {
  const guardrail = policy(
    "- {id: destructive, effect: review, tools: ['*.drop'], approval: {approvers: [group:security]}}",
    {
      kind: 'Guardrail',
      name: 'g',
      agents: 'tiers: [monitored]',
    },
  );
  const grant = policy("- {id: drops, effect: allow, tools: ['warehouse.*']}", {
    name: 'p',
    agents: 'roles: [analyst]',
  });
  const bundle = bundleOf({ 'g.yaml': guardrail, 'p.yaml': grant });
  const monitored = (roles: string[]) => ({ id: 'agt_m', roles, tier: 'monitored' as const });

  it('a guardrail review on a tool no policy grants stays a no_grant deny', () => {
    const d = decide(bundle, { agent: monitored(['support']), tool: 'warehouse.tables.drop' });
    expect(d).toMatchObject({ effect: 'deny', code: 'no_grant', approval: null, rules: ['destructive'] });
  });
  it('a guardrail review applies to a call a policy grants', () => {
    const d = decide(bundle, { agent: monitored(['analyst']), tool: 'warehouse.tables.drop' });
    expect(d).toMatchObject({
      effect: 'review',
      decidingRule: 'destructive',
      rules: ['destructive', 'drops'],
    });
    expect(d.approval?.steps[0]?.approvers).toEqual([{ kind: 'group', name: 'security' }]);
  });
  it('a policy review rule is a grant on its own', () => {
    const b = bundleOf({
      'p.yaml': policy('- {id: r, effect: review, tools: [t], approval: {approvers: [group:x]}}'),
    });
    expect(decideFor(b, 't').effect).toBe('review');
  });
});

describe('globs', () => {
  const bundle = bundleOf({
    'p.yaml': policy(`
- {id: crm-any, effect: allow, tools: ["crm.*"]}
- {id: deletes, effect: deny, tools: ["*.delete"]}
- {id: mid, effect: review, tools: ["github.*.close"]}
- {id: everything, effect: allow, tools: ["*"], when: 'agent.id == "agt_root"'}`),
  });
  it('a trailing * matches across dots', () => {
    expect(decideFor(bundle, 'crm.contacts.update').rules).toEqual(['crm-any']);
    expect(decideFor(bundle, 'crm').rules).toEqual([]);
    expect(decideFor(bundle, 'crmx.read').rules).toEqual([]);
  });
  it('a leading * matches any prefix', () => {
    expect(decideFor(bundle, 'crm.contacts.delete')).toMatchObject({
      effect: 'deny',
      rules: ['crm-any', 'deletes'],
    });
    expect(decideFor(bundle, 's3.objects.delete').effect).toBe('deny');
    expect(decideFor(bundle, 'delete').rules).toEqual([]);
  });
  it('a middle * and a lone * work', () => {
    expect(decideFor(bundle, 'github.pulls.close').rules).toEqual(['mid']);
    expect(decide(bundle, { agent: { id: 'agt_root' }, tool: 'anything.at.all' }).rules).toEqual([
      'everything',
    ]);
  });
  it('regex metacharacters in tool names are literal', () => {
    const b = bundleOf({ 'p.yaml': policy('- {id: dots, effect: allow, tools: ["a.b*c"]}') });
    expect(decideFor(b, 'a.bxc').effect).toBe('allow');
    expect(decideFor(b, 'aXbxc').effect).toBe('deny');
  });
});

describe('agent selectors', () => {
  const bundle = bundleOf({
    'by-role.yaml': policy('- {id: role-rule, effect: allow, tools: [t]}', {
      name: 'r',
      agents: 'roles: [support-assistant, billing]',
    }),
    'by-tier.yaml': policy('- {id: tier-env-rule, effect: allow, tools: [t]}', {
      name: 't',
      agents: 'tiers: [trusted]\nenvironments: [production]',
    }),
    'by-label.yaml': policy('- {id: label-rule, effect: allow, tools: [t]}', {
      name: 'l',
      agents: 'labels: {team: payments}',
    }),
    'by-id.yaml': policy('- {id: id-rule, effect: allow, tools: [t]}', {
      name: 'i',
      agents: 'ids: [agt_special]',
    }),
  });
  const rulesFor = (agent: Parameters<typeof decide>[1]['agent']) =>
    decide(bundle, { agent, tool: 't' }).rules;

  it('matches on any listed role, all criteria of a selector must hold', () => {
    expect(rulesFor({ id: 'a', roles: ['billing'] })).toEqual(['role-rule']);
    expect(rulesFor({ id: 'a', tier: 'trusted', environment: 'production' })).toEqual(['tier-env-rule']);
    expect(rulesFor({ id: 'a', tier: 'trusted', environment: 'staging' })).toEqual([]);
    expect(rulesFor({ id: 'a', labels: { team: 'payments', x: 'y' } })).toEqual(['label-rule']);
    expect(rulesFor({ id: 'a', labels: { team: 'support' } })).toEqual([]);
    expect(rulesFor({ id: 'agt_special' })).toEqual(['id-rule']);
    expect(rulesFor({ id: 'nobody' })).toEqual([]);
  });
  it('label selectors do not match inherited properties', () => {
    const b = bundleOf({
      'p.yaml': policy('- {id: l, effect: allow, tools: [t]}', { agents: 'labels: {constructor: x}' }),
    });
    expect(decide(b, { agent: { id: 'a', labels: {} }, tool: 't' }).effect).toBe('deny');
  });
});

describe('conditions', () => {
  const bundle = bundleOf({
    'p.yaml': policy(`
- {id: small, effect: allow, tools: [payments.refund], when: 'args.amount <= 500'}
- {id: large, effect: review, tools: [payments.refund], when: 'args.amount > 500', approval: {approvers: [group:support-leads]}}
- {id: doubled, effect: deny, tools: [payments.refund], when: 'args.amount * 2 > 100000'}
- {id: spend, effect: deny, tools: [llm.chat], when: 'usage.cost_today_usd + 1 > 100'}
- {id: hours, effect: allow, tools: [llm.chat], when: 'time.hour >= 9 && time.hour < 17'}`),
  });

  it('numbers compare the same whether JSON gives 500 or 500.5', () => {
    expect(decideFor(bundle, 'payments.refund', { amount: 500 }).effect).toBe('allow');
    expect(decideFor(bundle, 'payments.refund', { amount: 500.0 }).effect).toBe('allow');
    expect(decideFor(bundle, 'payments.refund', { amount: 500.5 }).effect).toBe('review');
    expect(decideFor(bundle, 'payments.refund', { amount: 501 }).effect).toBe('review');
  });
  it('mixed int and double arithmetic works', () => {
    expect(decideFor(bundle, 'payments.refund', { amount: 50_000.5 })).toMatchObject({
      effect: 'deny',
      decidingRule: 'doubled',
    });
    expect(decideFor(bundle, 'payments.refund', { amount: 50_001 })).toMatchObject({
      effect: 'deny',
      decidingRule: 'doubled',
    });
  });
  it('mixed int and double equality holds both ways', () => {
    const b = bundleOf({
      'p.yaml': policy(`
- {id: allow-all, effect: allow, tools: [t]}
- {id: fourth, effect: deny, tools: [t], when: '1 + args.count == 4'}
- {id: literal, effect: deny, tools: [t], when: '1 + 2.0 != 3 || 3 != 3.0'}
- {id: counter, effect: deny, tools: [t], when: 'usage.calls_today * 1.5 == 10.5'}`),
    });
    const usage = {
      cost_today_usd: 0,
      cost_month_usd: 0,
      calls_last_hour: 0,
      calls_today: 7,
      records_today: 0,
    };
    expect(decideFor(b, 't', { count: 3 }, { usage }).rules).toEqual(['allow-all', 'fourth', 'counter']);
    expect(decideFor(b, 't', { count: 3.5 }, { usage: { ...usage, calls_today: 1 } })).toMatchObject({
      effect: 'allow',
      rules: ['allow-all'],
    });
  });
  it('a condition that errors is a deny match with code condition_error, never a skip', () => {
    const d = decideFor(bundle, 'payments.refund', { total: 10 });
    expect(d).toMatchObject({
      effect: 'deny',
      code: 'condition_error',
      rules: ['small', 'large', 'doubled'],
    });
    expect(d.conditionErrors.map((e) => e.rule)).toEqual(['small', 'large', 'doubled']);
    expect(d.conditionErrors[0]?.message).toMatch(/No such key: amount/);
    expect(d.reason).toMatch(/Rule 'small' could not be evaluated/);
  });
  it('a wrongly typed argument is a condition error', () => {
    expect(decideFor(bundle, 'payments.refund', { amount: 'lots' }).code).toBe('condition_error');
  });
  it('usage and time fail closed when the input lacks them', () => {
    const noUsage = decideFor(bundle, 'llm.chat');
    expect(noUsage).toMatchObject({ effect: 'deny', code: 'condition_error' });
    const usage = {
      cost_today_usd: 10,
      cost_month_usd: 10,
      calls_last_hour: 1,
      calls_today: 1,
      records_today: 0,
    };
    const at = (iso: string) => ({ usage, time: { now: new Date(iso) } });
    expect(decideFor(bundle, 'llm.chat', {}, at('2026-03-02T10:00:00Z'))).toMatchObject({
      effect: 'allow',
      rules: ['hours'],
    });
    expect(decideFor(bundle, 'llm.chat', {}, at('2026-03-02T20:00:00Z'))).toMatchObject({
      effect: 'deny',
      code: 'no_grant',
    });
    const spent = {
      usage: { ...usage, cost_today_usd: 99.5 },
      time: { now: new Date('2026-03-02T10:00:00Z') },
    };
    expect(decideFor(bundle, 'llm.chat', {}, spent)).toMatchObject({ effect: 'deny', decidingRule: 'spend' });
  });
  it('time.hour and weekday can be given in the tenant time zone', () => {
    const usage = {
      cost_today_usd: 0,
      cost_month_usd: 0,
      calls_last_hour: 0,
      calls_today: 0,
      records_today: 0,
    };
    const time = { now: new Date('2026-03-02T20:00:00Z'), hour: 12, weekday: 1 };
    expect(decideFor(bundle, 'llm.chat', {}, { usage, time }).effect).toBe('allow');
  });
  it('every condition variable is readable', () => {
    const b = bundleOf({
      'p.yaml': policy(`
- id: all-vars
  effect: allow
  tools: [t]
  when: >-
    agent.id == "a" && agent.name == "Ann" && "r" in agent.roles && agent.tier == "trusted" &&
    agent.environment == "staging" && agent.labels.team == "x" && agent.owner == "o" && agent.risk == "pii" &&
    tool.name == "t" && tool.server == "srv" && context.taskId == "tsk_1" && context.initiator == "i" &&
    context.onBehalfOf == "u" && context.interface == "slack" && usage.calls_today == 3 &&
    usage.calls_last_hour == 2 && usage.records_today == 7 && usage.cost_month_usd > 1.5 &&
    time.weekday == 1 && time.now > timestamp("2026-01-01T00:00:00Z") &&
    delegation.depth == 1 && delegation.chain == ["orch"]`),
    });
    const d = decide(b, {
      agent: {
        id: 'a',
        name: 'Ann',
        roles: ['r'],
        tier: 'trusted',
        environment: 'staging',
        labels: { team: 'x' },
        owner: 'o',
        risk: 'pii',
      },
      tool: 't',
      toolServer: 'srv',
      context: { taskId: 'tsk_1', initiator: 'i', onBehalfOf: 'u', interface: 'slack' },
      usage: { cost_today_usd: 1, cost_month_usd: 2, calls_last_hour: 2, calls_today: 3, records_today: 7 },
      time: { now: new Date('2026-03-02T10:00:00Z') },
      // The delegator has no grant, so the call is denied overall; the caller's own verdict is allow.
      delegation: [{ id: 'orch' }],
    });
    expect(d.delegation.find((v) => v.agentId === 'a')).toMatchObject({
      effect: 'allow',
      rules: ['all-vars'],
    });
  });
});

describe('delegation: every agent of the chain is decided, the strictest wins', () => {
  const bundle = bundleOf({
    'support.yaml': policy('- {id: refunds, effect: allow, tools: [payments.refund]}', {
      name: 'support',
      agents: 'roles: [support-assistant]',
    }),
    'orchestrator.yaml': policy(
      `- {id: orch-read, effect: allow, tools: [kb.read, payments.refund], when: 'delegation.depth == 0'}
- {id: orch-review, effect: review, tools: [email.send], approval: {approvers: [group:comms]}}`,
      { name: 'orch', agents: 'roles: [orchestrator]' },
    ),
  });
  const orchestrator = { id: 'agt_orch', roles: ['orchestrator'] };
  const planner = { id: 'agt_planner', roles: ['planner'] };

  it('an orchestrator cannot grant what it does not hold', () => {
    const d = decide(bundle, { agent: support, tool: 'payments.refund', delegation: [planner] });
    expect(d).toMatchObject({ effect: 'deny', code: 'no_grant', decidingAgent: 'agt_planner' });
    expect(d.delegation).toEqual([
      { agentId: 'agt_planner', effect: 'deny', code: 'no_grant', decidingRule: null, rules: [] },
      { agentId: 'agt_support', effect: 'allow', code: 'rule', decidingRule: 'refunds', rules: ['refunds'] },
    ]);
  });
  it('allowed when every agent of the chain holds the grant', () => {
    const d = decide(bundle, { agent: support, tool: 'payments.refund', delegation: [orchestrator] });
    expect(d).toMatchObject({
      effect: 'allow',
      decidingAgent: 'agt_support',
      rules: ['orch-read', 'refunds'],
    });
  });
  it('a sub-agent gains nothing from a permissive parent', () => {
    const d = decide(bundle, { agent: planner, tool: 'payments.refund', delegation: [orchestrator] });
    expect(d).toMatchObject({ effect: 'deny', decidingAgent: 'agt_planner' });
  });
  it('delegation variables describe each agent’s own position in the chain', () => {
    const chain = decide(bundle, {
      agent: support,
      tool: 'payments.refund',
      delegation: [{ id: 'agt_top', roles: ['orchestrator'] }, orchestrator],
    });
    // agt_orch acts at depth 1 there, so its depth-0-only grant does not apply: deny.
    expect(chain.delegation.map((v) => [v.agentId, v.effect])).toEqual([
      ['agt_top', 'allow'],
      ['agt_orch', 'deny'],
      ['agt_support', 'allow'],
    ]);
    expect(chain.effect).toBe('deny');
  });
  it('a review anywhere in the chain makes the call a review', () => {
    const b = bundleOf({
      'a.yaml': policy('- {id: mail-ok, effect: allow, tools: [email.send]}', {
        name: 'a',
        agents: 'roles: [support-assistant]',
      }),
      'o.yaml': policy(
        '- {id: mail-review, effect: review, tools: [email.send], approval: {approvers: [group:comms]}}',
        {
          name: 'o',
          agents: 'roles: [orchestrator]',
        },
      ),
    });
    const d = decide(b, { agent: support, tool: 'email.send', delegation: [orchestrator] });
    expect(d).toMatchObject({ effect: 'review', decidingRule: 'mail-review', decidingAgent: 'agt_orch' });
    expect(d.approval?.steps.map((s) => s.approvers)).toEqual([[{ kind: 'group', name: 'comms' }]]);
  });
});

describe('approval merging: the strictest requirement among matched review rules', () => {
  const bundle = bundleOf({
    'p.yaml': policy(`
- id: over-500
  effect: review
  tools: [payments.refund]
  when: args.amount > 500
  approval: {approvers: [group:support-leads], timeout: 1h, onTimeout: escalate, escalateTo: [group:support-managers], mode: post}
- id: over-1000
  effect: review
  tools: [payments.refund]
  when: args.amount > 1000
  approval: {approvers: [initiator], timeout: 15m, mode: pre}
- id: over-5000
  effect: review
  tools: [payments.refund]
  when: args.amount > 5000
  approval:
    steps:
      - {name: leads, approvers: [group:support-leads], required: 2}
      - {name: finance, approvers: [group:finance]}
    timeout: 2h
    onTimeout: escalate
    escalateTo: [group:cfo-office]`),
  });

  it('a single review rule gives its own requirement', () => {
    expect(decideFor(bundle, 'payments.refund', { amount: 600 }).approval).toEqual({
      steps: [{ name: 'approval', approvers: [{ kind: 'group', name: 'support-leads' }], required: 1 }],
      timeoutSeconds: 3600,
      onTimeout: 'escalate',
      escalateTo: [{ kind: 'group', name: 'support-managers' }],
      mode: 'post',
    });
  });
  it('two rules: both steps, the shorter timeout, deny on timeout and pre win', () => {
    const d = decideFor(bundle, 'payments.refund', { amount: 1500 });
    expect(d.rules).toEqual(['over-500', 'over-1000']);
    expect(d.approval).toEqual({
      steps: [
        { name: 'approval', approvers: [{ kind: 'group', name: 'support-leads' }], required: 1 },
        { name: 'approval', approvers: [{ kind: 'initiator' }], required: 1 },
      ],
      timeoutSeconds: 900,
      onTimeout: 'deny',
      escalateTo: [],
      mode: 'pre',
    });
  });
  it('steps with the same approvers merge into one with the higher count', () => {
    const d = decideFor(bundle, 'payments.refund', { amount: 6000 });
    expect(d.approval?.steps).toEqual([
      { name: 'approval', approvers: [{ kind: 'group', name: 'support-leads' }], required: 2 },
      { name: 'approval', approvers: [{ kind: 'initiator' }], required: 1 },
      { name: 'finance', approvers: [{ kind: 'group', name: 'finance' }], required: 1 },
    ]);
  });
  it('escalation targets are united when every rule escalates', () => {
    const b = bundleOf({
      'p.yaml': policy(`
- {id: a, effect: review, tools: [t], approval: {approvers: [group:x], timeout: 1h, onTimeout: escalate, escalateTo: [group:y]}}
- {id: b, effect: review, tools: [t], approval: {approvers: [group:x], timeout: 30m, onTimeout: escalate, escalateTo: [group:z, group:y]}}`),
    });
    expect(decideFor(b, 't').approval).toMatchObject({
      timeoutSeconds: 1800,
      onTimeout: 'escalate',
      escalateTo: [
        { kind: 'group', name: 'y' },
        { kind: 'group', name: 'z' },
      ],
    });
  });
  it('a review rule without approvers still yields a deny-on-timeout requirement', () => {
    const b = bundleOf({ 'p.yaml': policy('- {id: r, effect: review, tools: [t]}') });
    expect(decideFor(b, 't').approval).toEqual({
      steps: [],
      timeoutSeconds: 3600,
      onTimeout: 'deny',
      escalateTo: [],
      mode: 'pre',
    });
  });
});

function fakeClock(values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)] ?? 0;
}
