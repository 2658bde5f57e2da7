import { describe, expect, it } from 'vitest';
import { type DecisionInput, decide, validateArguments } from '../src/index.js';
import { bundleOf, decideFor, loadErrors, policy, support } from './helpers.js';

describe('CEL cannot reach JavaScript internals', () => {
  const staticallyRejected = [
    'agent.constructor == null',
    'agent.__proto__ == null',
    'agent.id.constructor == null',
    'agent.labels.hasOwnProperty("x")',
    'args.x.toString() == "1"',
    'agent.roles.constructor == null',
    'tool.name.valueOf() == "x"',
  ];
  for (const when of staticallyRejected) {
    it(`rejects at load: ${when}`, () => {
      const [issue] = loadErrors({
        'p.yaml': policy(`- {id: probe, effect: allow, tools: [t], when: '${when}'}`),
      });
      expect(issue?.rule).toBe('probe');
      expect(issue?.message).toMatch(/condition does not type-check/);
    });
  }

  const dynamicProbes = [
    'args.__proto__ == null',
    'args["__proto__"] != null',
    'args.constructor != null',
    'args["constructor"]["name"] == "Object"',
    'args.x.constructor != null',
    'args.list.constructor != null',
    'has(args.constructor)',
    'args.hasOwnProperty == null',
    'agent.labels["constructor"] != ""',
    'agent.labels.__proto__ != ""',
  ];
  for (const when of dynamicProbes) {
    it(`never allows through a prototype property: ${when}`, () => {
      const bundle = bundleOf({
        'p.yaml': policy(`- {id: probe, effect: allow, tools: [t], when: '${when}'}`),
      });
      const d = decide(bundle, {
        agent: { ...support, labels: {} },
        tool: 't',
        args: { x: { y: 1 }, list: [1] },
      });
      expect(d.effect).toBe('deny');
    });
  }

  it('a JSON "__proto__" key is plain data, not the prototype', () => {
    const bundle = bundleOf({
      'p.yaml': policy(`- {id: probe, effect: allow, tools: [t], when: 'args["__proto__"].admin == true'}`),
    });
    const args = JSON.parse('{"__proto__": {"admin": true}}');
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(decideFor(bundle, 't', args).effect).toBe('allow');
  });

  it('limits expression size', () => {
    const huge = Array.from({ length: 600 }, (_, i) => `args.a${i} == 1`).join(' || ');
    const [issue] = loadErrors({
      'p.yaml': policy(`- {id: huge, effect: allow, tools: [t], when: '${huge}'}`),
    });
    expect(issue?.field).toBe('spec.rules[0].when');
  });
});

describe('bad decision input: a clear deny, never a crash', () => {
  const bundle = bundleOf({ 'p.yaml': policy("- {id: any, effect: allow, tools: ['*']}") });
  const deny = (input: unknown) => {
    const d = decide(bundle, input as DecisionInput);
    expect(d.effect).toBe('deny');
    expect(d.code).toBe('invalid_input');
    return d.reason;
  };

  it('rejects arguments nested deeper than 32 levels', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 40; i++) deep = { n: deep };
    expect(deny({ agent: support, tool: 't', args: deep })).toBe(
      `args are nested deeper than 32 levels (at args${'.n'.repeat(32)})`,
    );
    expect(
      deny({ agent: support, tool: 't', args: { list: [1, [2, { x: Number.POSITIVE_INFINITY }]] } }),
    ).toBe('args.list[1][1].x is not a finite number');
    let ok: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 30; i++) ok = { n: ok };
    expect(decide(bundle, { agent: support, tool: 't', args: ok as never }).effect).toBe('allow');
  });
  it('rejects values JSON cannot hold', () => {
    expect(deny({ agent: support, tool: 't', args: { f: () => 1 } })).toBe(
      'args.f is a function, which JSON cannot hold',
    );
    expect(deny({ agent: support, tool: 't', args: { n: Number.NaN } })).toBe(
      'args.n is not a finite number',
    );
    expect(deny({ agent: support, tool: 't', args: { d: new Date() } })).toBe(
      'args.d is not a plain JSON object',
    );
    expect(deny({ agent: support, tool: 't', args: { b: 1n } })).toBe(
      'args.b is a bigint, which JSON cannot hold',
    );
    expect(deny({ agent: support, tool: 't', args: [1, 2] })).toBe('args must be a JSON object');
  });
  it('rejects a cyclic structure without hanging', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(deny({ agent: support, tool: 't', args: cyclic })).toMatch(/nested deeper than 32 levels/);
  });
  it('rejects a missing agent id, a bad tool name, a bad time and a bad delegation chain', () => {
    expect(deny({ agent: {}, tool: 't' })).toBe('agent.id must be a non-empty string');
    expect(deny(null)).toBe('the input must be an object');
    expect(deny({ agent: support, tool: 'rm -rf /' })).toMatch(/^tool must be a tool name/);
    expect(deny({ agent: support, tool: 't', time: { now: new Date('nope') } })).toBe(
      'time.now must be a valid Date',
    );
    expect(deny({ agent: support, tool: 't', delegation: [{ id: '' }] })).toBe(
      'delegation[0].id must be a non-empty string',
    );
  });
  it('validateArguments accepts ordinary JSON', () => {
    expect(validateArguments(JSON.parse('{"a":[1,2.5,"x",null,true,{"b":{}}]}'))).toBeUndefined();
    expect(validateArguments(Object.create(null))).toBeUndefined();
  });
  it('an unbounded stream of new tool names does not grow memory without bound', () => {
    for (let i = 0; i < 25_000; i++) decide(bundle, { agent: support, tool: `tool.${i}` });
    expect(decide(bundle, { agent: support, tool: 'tool.1' }).effect).toBe('allow');
  });
});

describe('regular expressions run in linear time', () => {
  it('refuses the backtracking matches() at load, pointing to safeMatches()', () => {
    for (const when of ['args.s.matches("^(a+)+$")', '[1].exists(x, args.s.matches("a"))']) {
      const [issue] = loadErrors({
        'p.yaml': policy(`- {id: re, effect: allow, tools: [t], when: '${when}'}`),
      });
      expect(issue?.message).toMatch(/matches\(\) is not available: it backtracks .* use safeMatches\(\)/);
    }
  });
  it('safeMatches() answers a catastrophic pattern on hostile input at once', () => {
    const bundle = bundleOf({
      'p.yaml': policy(
        `- {id: re, effect: deny, tools: [t], when: 'args.s.safeMatches("^(a+)+$")'}\n- {id: ok, effect: allow, tools: [t]}`,
      ),
    });
    const started = performance.now();
    const d = decideFor(bundle, 't', { s: `${'a'.repeat(10_000)}b` });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(d.effect).toBe('allow');
    expect(decideFor(bundle, 't', { s: 'aaaa' }).effect).toBe('deny');
  });
  it('an invalid literal pattern is a load error; an invalid pattern from arguments denies', () => {
    const [issue] = loadErrors({
      'p.yaml': policy(`- {id: re, effect: allow, tools: [t], when: 'args.s.safeMatches("(")'}`),
    });
    expect(issue?.message).toMatch(/safeMatches\(\) pattern "\(" is not a valid RE2 regular expression/);
    const bundle = bundleOf({
      'p.yaml': policy(`- {id: re, effect: allow, tools: [t], when: 'args.s.safeMatches(args.p)'}`),
    });
    expect(decideFor(bundle, 't', { s: 'x', p: '(' })).toMatchObject({
      effect: 'deny',
      code: 'condition_error',
    });
    expect(decideFor(bundle, 't', { s: 'x', p: '^x$' }).effect).toBe('allow');
  });
});
