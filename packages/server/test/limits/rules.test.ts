import { describe, expect, it } from 'vitest';
import {
  applicableKeys,
  compileRateLimitRules,
  type LimitedAgent,
} from '../../src/limits/applicable-keys.js';
import {
  checkRateLimitRule,
  checkRateLimitRules,
  type RateLimitRule,
  type RateLimitRuleInput,
} from '../../src/limits/rate-limit-rules.js';

const AGENT_ID = `agt_${'1'.repeat(26)}`;
const OTHER_AGENT_ID = `agt_${'2'.repeat(26)}`;

const base: RateLimitRuleInput = {
  name: 'calls',
  scope: 'agent',
  agentId: null,
  tier: null,
  tool: null,
  maxCalls: 10,
  windowSeconds: 60,
};

let serial = 0;
function rule(input: Partial<RateLimitRuleInput>): RateLimitRule {
  serial++;
  return {
    ...base,
    name: `rule-${serial}`,
    ...input,
    id: `rtl_${String(serial).padStart(26, '0')}`,
    tenantId: 'ten_t',
    source: 'api',
    createdAt: 0,
    updatedAt: 0,
  };
}

const agent: LimitedAgent = { id: AGENT_ID, tenantId: 'ten_t', tier: 'monitored' };

describe('checkRateLimitRule', () => {
  it('accepts a complete rule and fills absent selector and tool with null', () => {
    expect(checkRateLimitRule({ name: 'a', scope: 'agent', maxCalls: 1, windowSeconds: 1 }, 'body')).toEqual({
      ok: true,
      rule: {
        name: 'a',
        scope: 'agent',
        agentId: null,
        tier: null,
        tool: null,
        maxCalls: 1,
        windowSeconds: 1,
      },
    });
    expect(
      checkRateLimitRule(
        {
          ...base,
          scope: 'tool',
          tool: 'crm.*',
          tier: 'sandbox',
          maxCalls: 10_000_000,
          windowSeconds: 604_800,
        },
        'body',
      ).ok,
    ).toBe(true);
  });

  it.each([
    [{ ...base, name: 'Bad Name' }, 'body.name'],
    [{ ...base, scope: 'tenant' }, 'body.scope'],
    [{ ...base, agentId: 'agent-1' }, 'body.agentId'],
    [{ ...base, tier: 'root' }, 'body.tier'],
    [{ ...base, agentId: AGENT_ID, tier: 'sandbox' }, 'body.tier'],
    [{ ...base, scope: 'tool' }, 'body.tool'],
    [{ ...base, tool: 'crm.*' }, 'body.tool'],
    [{ ...base, scope: 'tool', tool: 'crm read' }, 'body.tool'],
    [{ ...base, maxCalls: 0 }, 'body.maxCalls'],
    [{ ...base, maxCalls: 10_000_001 }, 'body.maxCalls'],
    [{ ...base, maxCalls: 1.5 }, 'body.maxCalls'],
    [{ ...base, windowSeconds: 0 }, 'body.windowSeconds'],
    [{ ...base, windowSeconds: 604_801 }, 'body.windowSeconds'],
    [{ ...base, windowSeconds: '60' }, 'body.windowSeconds'],
    [{ ...base, extra: 1 }, 'body.extra'],
  ])('rejects %o naming %s', (input, field) => {
    const result = checkRateLimitRule(input, 'body');
    expect(result.ok).toBe(false);
    expect(result).toMatchObject({ code: 'invalid_field', field });
  });

  it('checks a list from the budgets file: paths by index, names unique', () => {
    expect(checkRateLimitRules({}, 'rateLimits')).toEqual({
      ok: false,
      code: 'invalid_field',
      field: 'rateLimits',
      message: 'must be a list',
    });
    expect(checkRateLimitRules([base, { ...base, maxCalls: -1, name: 'b' }], 'rateLimits')).toMatchObject({
      ok: false,
      code: 'invalid_field',
      field: 'rateLimits[1].maxCalls',
    });
    expect(checkRateLimitRules([base, base], 'rateLimits')).toMatchObject({
      ok: false,
      code: 'invalid_field',
      field: 'rateLimits[1].name',
      message: 'calls is used twice',
    });
    expect(checkRateLimitRules([base, { ...base, name: 'b' }], 'rateLimits')).toMatchObject({
      ok: true,
      rules: [{ name: 'calls' }, { name: 'b' }],
    });
  });
});

describe('applicableKeys', () => {
  it('keys per agent, per task and per agent and tool, each under the tenant hash tag', () => {
    const perAgent = rule({ scope: 'agent', maxCalls: 100, windowSeconds: 60 });
    const perTask = rule({ scope: 'task', maxCalls: 20, windowSeconds: 3600 });
    const perTool = rule({ scope: 'tool', tool: 'crm.*', maxCalls: 5, windowSeconds: 1 });
    const set = compileRateLimitRules([perAgent, perTask, perTool]);
    expect(applicableKeys(set, agent, 'tsk_1', 'crm.read')).toEqual([
      { key: `{ten_t}:${perAgent.id}:agent:${AGENT_ID}`, ruleId: perAgent.id, limit: 100, windowMs: 60_000 },
      { key: `{ten_t}:${perTask.id}:task:tsk_1`, ruleId: perTask.id, limit: 20, windowMs: 3_600_000 },
      {
        key: `{ten_t}:${perTool.id}:tool:${AGENT_ID}:crm.read`,
        ruleId: perTool.id,
        limit: 5,
        windowMs: 1_000,
      },
    ]);
    // Each matching tool has a counter of its own; a tool outside the glob is not counted by the rule.
    expect(applicableKeys(set, agent, 'tsk_1', 'crm.write').map((k) => k.key)).toContain(
      `{ten_t}:${perTool.id}:tool:${AGENT_ID}:crm.write`,
    );
    expect(applicableKeys(set, agent, 'tsk_1', 'mail.send').map((k) => k.ruleId)).toEqual([
      perAgent.id,
      perTask.id,
    ]);
    // Without a task, task rules do not apply.
    expect(applicableKeys(set, agent, null, 'mail.send').map((k) => k.ruleId)).toEqual([perAgent.id]);
  });

  it('lets an agent rule override tier and every-agent rules of the same scope and tool, and a tier rule override every-agent ones', () => {
    const everyone = rule({ scope: 'agent', maxCalls: 100 });
    const monitored = rule({ scope: 'agent', tier: 'monitored', maxCalls: 50 });
    const mine = rule({ scope: 'agent', agentId: AGENT_ID, maxCalls: 1_000 });
    const everyoneTool = rule({ scope: 'tool', tool: 'crm.*', maxCalls: 10 });
    const mineOtherTool = rule({ scope: 'tool', tool: 'crm.read', agentId: AGENT_ID, maxCalls: 1 });
    const set = compileRateLimitRules([everyone, monitored, mine, everyoneTool, mineOtherTool]);
    const ids = (a: LimitedAgent, tool = 'crm.read') =>
      applicableKeys(set, a, null, tool).map((k) => k.ruleId);
    // The per-agent override is looser than the tier rule and still wins; a different glob is another group.
    expect(ids(agent)).toEqual([mine.id, everyoneTool.id, mineOtherTool.id]);
    expect(ids({ ...agent, id: OTHER_AGENT_ID })).toEqual([monitored.id, everyoneTool.id]);
    expect(ids({ ...agent, id: OTHER_AGENT_ID, tier: 'trusted' })).toEqual([everyone.id, everyoneTool.id]);
  });

  it('applies every rule of equal specificity', () => {
    const a = rule({ scope: 'agent', tier: 'sandbox', maxCalls: 10, windowSeconds: 1 });
    const b = rule({ scope: 'agent', tier: 'sandbox', maxCalls: 100, windowSeconds: 60 });
    const keys = applicableKeys(compileRateLimitRules([a, b]), { ...agent, tier: 'sandbox' }, null, 'x');
    expect(keys.map((k) => k.ruleId)).toEqual([a.id, b.id]);
  });

  it('answers no keys for a tenant without rules', () => {
    expect(applicableKeys(compileRateLimitRules([]), agent, 'tsk_1', 'crm.read')).toEqual([]);
  });
});
