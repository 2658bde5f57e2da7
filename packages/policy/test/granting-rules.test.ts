import { describe, expect, it } from 'vitest';
import { type AgentFacts, grantingRules } from '../src/index.js';
import { bundleOf, policy } from './helpers.js';

const bundle = bundleOf({
  'support.yaml': policy(
    `
- {id: kb-read, effect: allow, tools: ["kb.*"]}
- {id: refund-review, effect: review, tools: [payments.refund], when: 'args.amount > 100', approval: {approvers: [group:leads]}}
- {id: no-exports, effect: deny, tools: [crm.export]}`,
    { name: 'support', agents: 'roles: [support-assistant, triage]', owner: 'maria@example.com' },
  ),
  'one.yaml': policy('- {id: only-me, effect: allow, tools: [ops.restart]}', {
    name: 'one-agent',
    agents: 'ids: [agt_support]',
  }),
  'prod.yaml': policy('- {id: prod-deploy, effect: allow, tools: [deploy.run]}', {
    name: 'prod',
    agents: 'environments: [production]',
  }),
  'everyone.yaml': policy('- {id: status-read, effect: allow, tools: [status.read]}', { name: 'everyone' }),
  'guard.yaml': policy('- {id: careful, effect: review, tools: ["*"], approval: {approvers: [group:sec]}}', {
    kind: 'Guardrail',
    name: 'guard',
  }),
});

const support: AgentFacts = { id: 'agt_support', roles: ['support-assistant'], tier: 'trusted' };

describe('grantingRules: the permissions an agent holds', () => {
  it('lists each Policy allow and review rule selecting the agent, with where it is written and why it applies', () => {
    const rules = grantingRules(bundle, { agent: support, environments: ['staging'] });
    // In bundle order (files by path).
    expect(rules.map((r) => r.id)).toEqual(['status-read', 'only-me', 'kb-read', 'refund-review']);
    const byId = Object.fromEntries(rules.map((r) => [r.id, r]));
    expect(byId['kb-read']).toMatchObject({
      effect: 'allow',
      tools: ['kb.*'],
      conditional: false,
      policy: 'support',
      policyOwner: 'maria@example.com',
      file: 'support.yaml',
      selectedBy: { everyAgent: false, id: false, roles: ['support-assistant'] },
    });
    expect(byId['refund-review']).toMatchObject({ effect: 'review', conditional: true });
    expect(rules.find((r) => r.id === 'only-me')?.selectedBy).toMatchObject({ id: true, roles: [] });
    expect(rules.find((r) => r.id === 'status-read')?.selectedBy.everyAgent).toBe(true);
  });

  it('leaves out deny rules and Guardrails: they grant nothing', () => {
    const ids = grantingRules(bundle, { agent: support }).map((r) => r.id);
    expect(ids).not.toContain('no-exports');
    expect(ids).not.toContain('careful');
  });

  it('counts a policy selecting by environment only where the agent may act', () => {
    expect(
      grantingRules(bundle, { agent: support, environments: ['staging'] }).map((r) => r.id),
    ).not.toContain('prod-deploy');
    const inProduction = grantingRules(bundle, { agent: support, environments: ['staging', 'production'] });
    expect(inProduction.find((r) => r.id === 'prod-deploy')?.selectedBy.environments).toEqual(['production']);
    // Acting anywhere (no environments given) includes every environment a selector names.
    expect(grantingRules(bundle, { agent: support }).map((r) => r.id)).toContain('prod-deploy');
  });

  it('gives an agent no policy selects only the policies for every agent', () => {
    const stranger: AgentFacts = { id: 'agt_other', roles: ['deploy-agent'] };
    expect(grantingRules(bundle, { agent: stranger, environments: ['staging'] }).map((r) => r.id)).toEqual([
      'status-read',
    ]);
  });
});
