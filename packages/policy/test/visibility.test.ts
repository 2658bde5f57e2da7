import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AgentFacts,
  createVisibilityIndex,
  decide,
  loadBundle,
  type PolicyBundle,
  toolVisibility,
  type VisibilitySubject,
  visibleTools,
} from '../src/index.js';
import { bundleOf, policy } from './helpers.js';

const supportBot: AgentFacts = { id: 'agt_support', roles: ['support-assistant'], tier: 'trusted' };
const subject: VisibilitySubject = { agent: supportBot };

const guardrail = (rules: string, agents?: string) =>
  policy(rules, { kind: 'Guardrail', name: 'guard', owner: 'security@example.com', agents });

describe('toolVisibility: which rules make a tool visible', () => {
  const bundle = bundleOf({
    'p.yaml': policy(
      `
- {id: kb-read, effect: allow, tools: [kb.read]}
- {id: mail-review, effect: review, tools: [email.send], approval: {approvers: [group:comms]}}
- {id: refund-small, effect: allow, tools: [payments.refund], when: 'args.amount <= 100'}
- {id: no-exports, effect: deny, tools: [crm.export]}
- {id: crm-all, effect: allow, tools: ["crm.*"]}
- {id: drafts, effect: allow, tools: [kb.drafts.write]}`,
      { agents: 'roles: [support-assistant]' },
    ),
    'other.yaml': policy('- {id: deploy, effect: allow, tools: [deploy.run]}', {
      name: 'deployers',
      agents: 'roles: [deploy-agent]',
    }),
    'g.yaml': guardrail(`
- {id: no-deletes, effect: deny, tools: ["*.delete"]}
- {id: big-drafts-denied, effect: deny, tools: [kb.drafts.write], when: 'has(args.size) && args.size > 1000'}`),
  });
  const see = (tool: string) => toolVisibility(bundle, subject, tool);

  it('an allow rule makes a tool visible and is named as the grant', () => {
    expect(see('kb.read')).toEqual({ visible: true, grantingRules: ['kb-read'], grantingGrants: [] });
  });

  it('a Policy review rule is a grant on its own', () => {
    expect(see('email.send')).toEqual({ visible: true, grantingRules: ['mail-review'], grantingGrants: [] });
  });

  it('a conditional allow is visible: its condition may hold', () => {
    expect(see('payments.refund')).toMatchObject({ visible: true, grantingRules: ['refund-small'] });
  });

  it('a tool no rule names is hidden with no_grant', () => {
    expect(see('billing.invoice')).toEqual({ visible: false, reason: 'no_grant' });
  });

  it('a tool granted only to other roles is hidden with no_grant', () => {
    expect(see('deploy.run')).toEqual({ visible: false, reason: 'no_grant' });
    expect(
      toolVisibility(bundle, { agent: { id: 'd', roles: ['deploy-agent'] } }, 'deploy.run'),
    ).toMatchObject({
      visible: true,
    });
  });

  it('an unconditional deny hides a tool a glob grants, and is named', () => {
    expect(see('crm.contacts.read')).toMatchObject({ visible: true, grantingRules: ['crm-all'] });
    expect(see('crm.export')).toEqual({
      visible: false,
      reason: 'always_denied',
      denyingRules: ['no-exports'],
    });
  });

  it('an unconditional Guardrail deny over a Policy allow hides the tool', () => {
    expect(see('crm.contacts.delete')).toEqual({
      visible: false,
      reason: 'always_denied',
      denyingRules: ['no-deletes'],
    });
  });

  it('a conditional Guardrail deny leaves the tool visible: its condition may be false', () => {
    expect(see('kb.drafts.write')).toMatchObject({ visible: true, grantingRules: ['drafts'] });
  });

  it('a tool with only a deny is hidden as always denied', () => {
    expect(see('s3.objects.delete')).toEqual({
      visible: false,
      reason: 'always_denied',
      denyingRules: ['no-deletes'],
    });
  });

  it('agrees with decide on the examples above', () => {
    const allowed = (tool: string, args = {}) => decide(bundle, { agent: supportBot, tool, args }).effect;
    expect(allowed('kb.read')).toBe('allow');
    expect(allowed('email.send')).toBe('review');
    expect(allowed('payments.refund', { amount: 50 })).toBe('allow');
    expect(allowed('kb.drafts.write', { size: 10 })).toBe('allow');
    expect(allowed('crm.export')).toBe('deny');
    expect(allowed('crm.contacts.delete')).toBe('deny');
  });
});

describe('toolVisibility: Guardrail reviews never grant', () => {
  const bundle = bundleOf({
    'p.yaml': policy('- {id: read, effect: allow, tools: [kb.read]}'),
    'g.yaml': guardrail(
      `- {id: look-twice, effect: review, tools: ["*"], approval: {approvers: [group:sec]}}`,
    ),
  });

  it('a Guardrail review alone leaves the tool hidden; beside a grant it is visible', () => {
    expect(toolVisibility(bundle, subject, 'kb.write')).toEqual({ visible: false, reason: 'no_grant' });
    expect(toolVisibility(bundle, subject, 'kb.read')).toMatchObject({
      visible: true,
      grantingRules: ['read'],
    });
    expect(decide(bundle, { agent: supportBot, tool: 'kb.read' }).effect).toBe('review');
  });
});

describe('toolVisibility: temporary grants', () => {
  const bundle = bundleOf({
    'p.yaml': policy('- {id: read, effect: allow, tools: [kb.read]}'),
    'g.yaml': guardrail('- {id: no-deletes, effect: deny, tools: ["*.delete"]}'),
  });
  const granted: VisibilitySubject = {
    agent: {
      ...supportBot,
      grants: [
        { id: 'grt_export', tools: ['crm.export'] },
        { id: 'grt_crm', tools: ['crm.*'] },
      ],
    },
  };

  it('a grant makes a tool visible and is named, globs included', () => {
    expect(toolVisibility(bundle, granted, 'crm.export')).toEqual({
      visible: true,
      grantingRules: [],
      grantingGrants: ['grt_export', 'grt_crm'],
    });
    expect(toolVisibility(bundle, granted, 'crm.contacts.read')).toMatchObject({
      visible: true,
      grantingGrants: ['grt_crm'],
    });
    expect(toolVisibility(bundle, subject, 'crm.export')).toEqual({ visible: false, reason: 'no_grant' });
  });

  it('a grant does not lift an unconditional deny', () => {
    expect(toolVisibility(bundle, granted, 'crm.contacts.delete')).toEqual({
      visible: false,
      reason: 'always_denied',
      denyingRules: ['no-deletes'],
    });
  });
});

describe('toolVisibility: selectors', () => {
  const bundle = bundleOf({
    'p.yaml': policy('- {id: prod-read, effect: allow, tools: [kb.read]}', {
      agents: 'environments: [production]',
    }),
    'trusted.yaml': policy('- {id: trusted-write, effect: allow, tools: [kb.write]}', {
      name: 'trusted',
      agents: 'tiers: [trusted]\nlabels: {team: support}',
    }),
    'g.yaml': guardrail(
      '- {id: no-staging-writes, effect: deny, tools: [kb.write]}',
      'environments: [staging]',
    ),
  });

  it('an environment selector could match when the subject does not fix the environment', () => {
    expect(toolVisibility(bundle, subject, 'kb.read')).toMatchObject({ visible: true });
  });

  it('is hidden when none of the environments the agent acts in is selected', () => {
    const staging = { agent: supportBot, environments: ['staging', 'sandbox'] };
    expect(toolVisibility(bundle, staging, 'kb.read')).toEqual({ visible: false, reason: 'no_grant' });
    expect(toolVisibility(bundle, { agent: { ...supportBot, environment: 'staging' } }, 'kb.read')).toEqual({
      visible: false,
      reason: 'no_grant',
    });
    expect(
      toolVisibility(bundle, { ...staging, environments: ['staging', 'production'] }, 'kb.read'),
    ).toMatchObject({ visible: true });
  });

  it('an environment-bound deny hides only when it binds every environment the agent acts in', () => {
    const labelled = { ...supportBot, labels: { team: 'support' } };
    expect(toolVisibility(bundle, { agent: labelled }, 'kb.write')).toMatchObject({ visible: true });
    expect(toolVisibility(bundle, { agent: labelled, environments: ['staging'] }, 'kb.write')).toEqual({
      visible: false,
      reason: 'always_denied',
      denyingRules: ['no-staging-writes'],
    });
    expect(
      toolVisibility(bundle, { agent: labelled, environments: ['staging', 'production'] }, 'kb.write'),
    ).toMatchObject({ visible: true, grantingRules: ['trusted-write'] });
  });

  it('tiers and labels are the agent’s facts: a missing fact does not match', () => {
    expect(
      toolVisibility(bundle, { agent: { ...supportBot, labels: { team: 'support' } } }, 'kb.write'),
    ).toMatchObject({
      visible: true,
    });
    expect(toolVisibility(bundle, subject, 'kb.write')).toEqual({ visible: false, reason: 'no_grant' });
    const untiered = { id: 'agt_x', labels: { team: 'support' } };
    expect(toolVisibility(bundle, { agent: untiered }, 'kb.write')).toEqual({
      visible: false,
      reason: 'no_grant',
    });
  });

  it('an agent that acts in no environment sees nothing', () => {
    expect(toolVisibility(bundle, { agent: supportBot, environments: [] }, 'kb.read')).toEqual({
      visible: false,
      reason: 'no_grant',
    });
  });
});

describe('toolVisibility: inputs decide would reject', () => {
  const bundle = bundleOf({ 'p.yaml': policy('- {id: all, effect: allow, tools: ["*"]}') });

  it('a tool name decide rejects is hidden as invalid_input', () => {
    expect(toolVisibility(bundle, subject, 'bad tool')).toMatchObject({
      visible: false,
      reason: 'invalid_input',
    });
    expect(decide(bundle, { agent: supportBot, tool: 'bad tool' }).code).toBe('invalid_input');
  });

  it('an agent decide rejects sees nothing, and the message says why', () => {
    const noId = { agent: { id: '' } };
    expect(toolVisibility(bundle, noId, 'kb.read')).toEqual({
      visible: false,
      reason: 'invalid_input',
      message: 'agent.id must be a non-empty string',
    });
    const badGrant = { agent: { id: 'a', grants: [{ id: 'g', tools: [] }] } };
    expect(toolVisibility(bundle, badGrant, 'kb.read')).toMatchObject({ reason: 'invalid_input' });
    expect(visibleTools(bundle, badGrant, ['kb.read'])).toEqual([]);
  });
});

describe('visibleTools and the index', () => {
  const bundle = bundleOf({
    'p.yaml': policy(`
- {id: crm, effect: allow, tools: ["crm.*"]}
- {id: no-crm-delete, effect: deny, tools: [crm.contacts.delete]}
- {id: mail, effect: review, tools: [email.send], approval: {approvers: [group:comms]}}`),
  });
  const tools = ['email.send', 'crm.contacts.delete', 'kb.read', 'crm.contacts.read', 'email.send'];

  it('returns the visible tools in the order given, duplicates kept', () => {
    expect(visibleTools(bundle, subject, tools)).toEqual(['email.send', 'crm.contacts.read', 'email.send']);
  });

  it('an index answers like the one-off functions, for its bundle version', () => {
    const index = createVisibilityIndex(bundle, subject);
    expect(index.bundleVersion).toBe(bundle.version);
    for (const tool of tools) expect(index.visibility(tool)).toEqual(toolVisibility(bundle, subject, tool));
    expect(index.visibleTools(tools)).toEqual(visibleTools(bundle, subject, tools));
  });

  it('answers a few thousand tools quickly', () => {
    const many = Array.from({ length: 3000 }, (_, i) => (i % 2 === 0 ? `crm.t${i}.read` : `kb.t${i}`));
    const started = performance.now();
    const visible = createVisibilityIndex(bundle, subject).visibleTools(many);
    const elapsedMs = performance.now() - started;
    expect(visible).toHaveLength(1500);
    // Generous: the point is that it is a lookup per tool, not a decision per argument.
    expect(elapsedMs).toBeLessThan(1000);
  });
});

describe('toolVisibility on examples/policies', () => {
  let bundle: PolicyBundle;
  beforeAll(async () => {
    const loaded = await loadBundle(new URL('../../../examples/policies', import.meta.url).pathname);
    if (!loaded.ok) throw new Error('examples/policies did not load');
    bundle = loaded.bundle;
  });

  it('the code review bot sees what it may read and comment, not what it is denied', () => {
    const reviewBot = {
      agent: { id: 'review-bot', roles: ['code-review-bot'], tier: 'trusted' as const },
      environments: ['production'],
    };
    expect(
      visibleTools(bundle, reviewBot, [
        'github.repos.read',
        'github.pulls.comment',
        'github.reviews.approve',
        'github.pulls.merge',
        'github.repos.delete',
        'ci.pipelines.trigger',
      ]),
    ).toEqual(['github.repos.read', 'github.pulls.comment']);
    expect(toolVisibility(bundle, reviewBot, 'github.pulls.merge')).toEqual({
      visible: false,
      reason: 'always_denied',
      denyingRules: ['review-bot-no-close-or-merge'],
    });
  });

  it('a sandbox-tier deploy agent sees nothing in production, but its grants in staging', () => {
    const deployer = { id: 'deploy-sandbox', roles: ['deploy-agent'], tier: 'sandbox' as const };
    const tools = ['github.repos.read', 'deploy.manifests.update', 'deploy.production', 'iam.roles.update'];
    expect(visibleTools(bundle, { agent: deployer, environments: ['production'] }, tools)).toEqual([]);
    expect(
      toolVisibility(bundle, { agent: deployer, environments: ['production'] }, 'deploy.production'),
    ).toEqual({
      visible: false,
      reason: 'always_denied',
      denyingRules: ['guardrail-sandbox-production-deny'],
    });
    expect(visibleTools(bundle, { agent: deployer, environments: ['staging', 'production'] }, tools)).toEqual(
      ['github.repos.read', 'deploy.manifests.update', 'deploy.production'],
    );
    const staging = { ...deployer, environment: 'staging' };
    expect(decide(bundle, { agent: staging, tool: 'deploy.manifests.update', args: {} }).effect).toBe(
      'allow',
    );
    expect(decide(bundle, { agent: staging, tool: 'iam.roles.update' }).effect).toBe('deny');
  });
});

// Property tests: small universes so that generated selectors, rules, grants and calls actually meet.
const TOOLS = ['crm.read', 'crm.write', 'mail.send', 'pay.refund'];
const TOOL_PATTERNS = [...TOOLS, 'crm.*', '*.send', '*'];
const ROLES = ['r1', 'r2'];
const TIERS = ['sandbox', 'monitored', 'trusted'] as const;
const SELECTED_ENVIRONMENTS = ['staging', 'production'];
// What a call may act in: the environments selectors name, one none names, and none at all.
const CALL_ENVIRONMENTS = [...SELECTED_ENVIRONMENTS, 'dev', undefined];
// Conditions on args and on per-call facts; some fail at run time (a deny), some read usage or time.
const CONDITIONS = [
  undefined,
  undefined,
  'args.n > 5',
  'has(args.flag) && args.flag == true',
  'args.missing > 1',
  'agent.environment == "production"',
  'delegation.depth > 0',
  'usage.calls_today > 3',
  'context.initiator != ""',
  'true',
  'false',
];

type GeneratedEffect = 'allow' | 'review' | 'deny';
interface GeneratedRule {
  effect: GeneratedEffect;
  tools: string[];
  when: string | undefined;
}
interface GeneratedDocument {
  kind: 'Policy' | 'Guardrail';
  agents: {
    ids?: readonly string[];
    roles?: readonly string[];
    tiers?: readonly string[];
    environments?: readonly string[];
  };
  rules: GeneratedRule[];
}

const generatedRule = (effects: GeneratedEffect[], conditions: readonly (string | undefined)[]) =>
  fc.record({
    effect: fc.constantFrom(...effects),
    tools: fc.uniqueArray(fc.constantFrom(...TOOL_PATTERNS), { minLength: 1, maxLength: 2 }),
    when: fc.constantFrom(...conditions),
  });

const generatedSelector = fc.record(
  {
    ids: fc.constant(['agt_a']),
    roles: fc.subarray(ROLES, { minLength: 1 }),
    tiers: fc.subarray([...TIERS], { minLength: 1 }),
    environments: fc.subarray(SELECTED_ENVIRONMENTS, { minLength: 1 }),
  },
  { requiredKeys: [] },
);

const generatedDocument = (conditions: readonly (string | undefined)[]): fc.Arbitrary<GeneratedDocument> =>
  fc.constantFrom('Policy' as const, 'Guardrail' as const).chain((kind) =>
    fc.record({
      kind: fc.constant(kind),
      agents: generatedSelector,
      rules: fc.array(
        generatedRule(kind === 'Policy' ? ['allow', 'review', 'deny'] : ['review', 'deny'], conditions),
        { minLength: 1, maxLength: 3 },
      ),
    }),
  );

const generatedBundle = (conditions: readonly (string | undefined)[]) =>
  fc.array(generatedDocument(conditions), { minLength: 1, maxLength: 4 });

const generatedFacts = fc.record(
  {
    id: fc.constantFrom('agt_a', 'agt_b'),
    roles: fc.subarray(ROLES),
    tier: fc.constantFrom(...TIERS),
    grants: fc.array(
      fc.record({
        id: fc.constantFrom('grt_1', 'grt_2'),
        tools: fc.uniqueArray(fc.constantFrom(...TOOL_PATTERNS), { minLength: 1, maxLength: 2 }),
      }),
      { maxLength: 2 },
    ),
    environment: fc.constantFrom(...CALL_ENVIRONMENTS),
  },
  { requiredKeys: ['id'] },
);

const generatedSubject: fc.Arbitrary<VisibilitySubject> = fc.record(
  {
    agent: generatedFacts,
    environments: fc.subarray(['staging', 'production', 'dev']),
  },
  { requiredKeys: ['agent'] },
);

/** Everything a call carries besides the agent's own facts; `environmentPick` chooses among the subject's. */
const generatedCall = fc.record(
  {
    tool: fc.constantFrom(...TOOLS, 'other.tool'),
    environmentPick: fc.nat(),
    args: fc.record({ n: fc.integer({ min: 0, max: 10 }), flag: fc.boolean() }, { requiredKeys: [] }),
    context: fc.record({ initiator: fc.constantFrom('', 'user:dana') }),
    usage: fc.record({
      cost_today_usd: fc.constant(0),
      cost_month_usd: fc.constant(0),
      calls_last_hour: fc.constant(0),
      calls_today: fc.integer({ min: 0, max: 6 }),
      records_today: fc.constant(0),
    }),
    time: fc.record({ now: fc.constant(new Date('2026-03-02T10:00:00Z')) }),
    delegation: fc.array(generatedFacts, { maxLength: 2 }),
  },
  { requiredKeys: ['tool', 'environmentPick', 'args'] },
);

/** YAML accepts JSON, so each generated document is written as one JSON file. */
function bundleFrom(documents: readonly GeneratedDocument[]): PolicyBundle {
  const files: Record<string, string> = {};
  documents.forEach((document, d) => {
    files[`d${d}.yaml`] = JSON.stringify({
      apiVersion: 'warden/v1',
      kind: document.kind,
      metadata: { name: `d${d}`, owner: 'owner@example.com' },
      spec: {
        agents: document.agents,
        rules: document.rules.map((rule, r) => ({
          id: `d${d}-r${r}`,
          effect: rule.effect,
          tools: rule.tools,
          ...(rule.when === undefined ? {} : { when: rule.when }),
          ...(rule.effect === 'review' ? { approval: { approvers: ['group:g'] } } : {}),
        })),
      },
    });
  });
  return bundleOf(files);
}

/**
 * The environments a call of the subject may act in, as the contract of `VisibilitySubject` states it:
 * the listed ones and `agent.environment`; any (or none) when neither is given.
 */
function environmentsOf(subject: VisibilitySubject): readonly (string | undefined)[] {
  const fixed = new Set(subject.environments ?? []);
  if (subject.agent.environment !== undefined) fixed.add(subject.agent.environment);
  if (subject.environments === undefined && fixed.size === 0) return CALL_ENVIRONMENTS;
  return [...fixed];
}

function actingIn(agent: AgentFacts, environment: string | undefined): AgentFacts {
  const { environment: _, ...facts } = agent;
  return environment === undefined ? facts : { ...facts, environment };
}

describe('toolVisibility properties', () => {
  it('a hidden tool is never allowed or reviewed, and an allowed or reviewed call’s tool is visible', () => {
    const seen = { no_grant: 0, always_denied: 0, allow: 0, review: 0, visibleButDenied: 0 };
    fc.assert(
      fc.property(
        generatedBundle(CONDITIONS),
        generatedSubject,
        fc.array(generatedCall, { minLength: 1, maxLength: 8 }),
        (documents, subject, calls) => {
          const bundle = bundleFrom(documents);
          const index = createVisibilityIndex(bundle, subject);
          const environments = environmentsOf(subject);
          for (const call of calls) {
            if (environments.length === 0) break;
            const { tool, environmentPick, ...carried } = call;
            const environment = environments[environmentPick % environments.length];
            const decision = decide(bundle, {
              ...carried,
              tool,
              agent: actingIn(subject.agent, environment),
            });
            const visibility = index.visibility(tool);
            if (!visibility.visible) {
              expect(decision.effect).toBe('deny');
              if (visibility.reason !== 'invalid_input') seen[visibility.reason]++;
            }
            if (decision.effect !== 'deny') {
              expect(visibility.visible).toBe(true);
              seen[decision.effect]++;
            } else if (visibility.visible) seen.visibleButDenied++;
          }
        },
      ),
      { numRuns: 600 },
    );
    // The property only means something if the generated cases reach every outcome.
    for (const [outcome, count] of Object.entries(seen)) expect(count, outcome).toBeGreaterThan(0);
  });

  it('without conditions it is exact: visible iff some environment the agent acts in allows or reviews', () => {
    let visible = 0;
    let hidden = 0;
    fc.assert(
      fc.property(generatedBundle([undefined]), generatedSubject, (documents, subject) => {
        const bundle = bundleFrom(documents);
        const index = createVisibilityIndex(bundle, subject);
        for (const tool of [...TOOLS, 'other.tool']) {
          const granted = environmentsOf(subject).some(
            (environment) =>
              decide(bundle, { agent: actingIn(subject.agent, environment), tool }).effect !== 'deny',
          );
          expect(index.visibility(tool).visible).toBe(granted);
          if (granted) visible++;
          else hidden++;
        }
      }),
      { numRuns: 300 },
    );
    expect(visible).toBeGreaterThan(0);
    expect(hidden).toBeGreaterThan(0);
  });
});
