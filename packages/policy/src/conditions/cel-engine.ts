import { type ASTNode, Environment } from '@marcbachmann/cel-js';
import { RE2JS } from 're2js';
import type { AgentFacts, ContextFacts, TimeFacts, UsageFacts } from '../input.js';
import {
  type Activation,
  type CompiledCondition,
  type CompileResult,
  type ConditionEngine,
  ConditionError,
  type ConditionVariables,
} from './condition-engine.js';

// One class per variable: cel-js type-checks field access against the declared fields, so a typo
// such as `agent.teir` is a load error, and at run time only these own fields are reachable (no
// prototype, no constructor).
class AgentVar {
  constructor(
    readonly id: string,
    readonly name: string,
    readonly roles: readonly string[],
    readonly tier: string,
    readonly environment: string,
    readonly labels: Readonly<Record<string, string>>,
    readonly owner: string,
    readonly risk: string,
  ) {}
}
class ToolVar {
  constructor(
    readonly name: string,
    readonly server: string,
  ) {}
}
class ContextVar {
  // `interface` is a reserved word, so this one cannot use parameter properties.
  readonly interface: string;
  constructor(
    readonly taskId: string,
    readonly initiator: string,
    readonly onBehalfOf: string,
    via: string,
  ) {
    this.interface = via;
  }
}
class UsageVar {
  constructor(
    readonly cost_today_usd: number,
    readonly cost_month_usd: number,
    readonly calls_last_hour: bigint,
    readonly calls_today: bigint,
    readonly records_today: bigint,
  ) {}
}
class TimeVar {
  constructor(
    readonly now: Date,
    readonly hour: bigint,
    readonly weekday: bigint,
  ) {}
}
class DelegationVar {
  constructor(
    readonly depth: bigint,
    readonly chain: readonly string[],
  ) {}
}

/** The variables of the policy language and their CEL types; docs/policy-language.md lists them. */
export const CONDITION_VARIABLES = {
  agent: {
    id: 'string',
    name: 'string',
    roles: 'list<string>',
    tier: 'string',
    environment: 'string',
    labels: 'map<string, string>',
    owner: 'string',
    risk: 'string',
  },
  tool: { name: 'string', server: 'string' },
  args: 'map<string, dyn>',
  context: { taskId: 'string', initiator: 'string', onBehalfOf: 'string', interface: 'string' },
  usage: {
    cost_today_usd: 'double',
    cost_month_usd: 'double',
    calls_last_hour: 'int',
    calls_today: 'int',
    records_today: 'int',
  },
  // cel-js names the timestamp type of a declared field by its protobuf name.
  time: { now: 'google.protobuf.Timestamp', hour: 'int', weekday: 'int' },
  delegation: { depth: 'int', chain: 'list<string>' },
} as const;

const CLASSES = {
  agent: AgentVar,
  tool: ToolVar,
  context: ContextVar,
  usage: UsageVar,
  time: TimeVar,
  delegation: DelegationVar,
} as const;

// Policies read numbers from JSON, which has one number type, while CEL keeps int and double
// apart: `args.amount * 2` would fail for a double amount. These overloads promote the int side
// of mixed arithmetic to double. Mixed comparisons (`args.amount > 500`) CEL already allows.
const MIXED_ARITHMETIC: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
};

function createEnvironment(): Environment {
  const env = new Environment({
    unlistedVariablesAreDyn: false,
    homogeneousAggregateLiterals: false,
    limits: {
      maxAstNodes: 1000,
      maxDepth: 32,
      maxListElements: 1000,
      maxMapEntries: 1000,
      maxCallArguments: 16,
    },
  });
  for (const [name, declaration] of Object.entries(CONDITION_VARIABLES)) {
    if (typeof declaration === 'string') {
      env.registerVariable(name, declaration);
      continue;
    }
    const typeName = `warden.${name}`;
    const ctor = CLASSES[name as keyof typeof CLASSES];
    env.registerType(typeName, { ctor, fields: declaration });
    env.registerVariable(name, typeName);
  }
  for (const [op, apply] of Object.entries(MIXED_ARITHMETIC)) {
    env.registerOperator(`double ${op} int: double`, (a: number, b: bigint) => apply(a, Number(b)));
    env.registerOperator(`int ${op} double: double`, (a: bigint, b: number) => apply(Number(a), b));
  }
  // With mixed arithmetic, `1 + args.count == 4` compares a double with an int; CEL's static
  // checker refuses that unless equality across the two is declared (cel-js derives != and the
  // mirrored order from this one).
  env.registerOperator('double == int: bool', (a: number, b: bigint) => a === Number(b));
  env.registerFunction('string.safeMatches(string): bool', safeMatches);
  return env;
}

type Program = (context: Record<string, unknown>) => unknown;

// CEL's matches() in cel-js runs a JavaScript RegExp, which backtracks: `^(a+)+$` against 30
// characters of hostile input takes about a minute. safeMatches() has RE2 semantics and runs in
// time linear in its input; conditions may only use it.
const MAX_CACHED_PATTERNS = 1000;
const patterns = new Map<string, RE2JS>();

function safeMatches(text: string, pattern: string): boolean {
  let compiled = patterns.get(pattern);
  if (!compiled) {
    compiled = RE2JS.compile(pattern);
    if (patterns.size >= MAX_CACHED_PATTERNS) patterns.clear();
    patterns.set(pattern, compiled);
  }
  return compiled.matcher(text).find();
}

/**
 * Looks through an expression, macros included, for regular expressions it cannot allow: a call of
 * the backtracking `matches()`, or a literal safeMatches() pattern that does not compile (better a
 * load error than a rule that denies every call).
 */
function regexProblem(node: unknown): string | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const problem = regexProblem(item);
      if (problem) return problem;
    }
    return undefined;
  }
  if (typeof node !== 'object' || node === null || !('op' in node)) return undefined;
  const { op, args } = node as ASTNode;
  if (!Array.isArray(args)) return undefined;
  if ((op === 'rcall' || op === 'call') && args[0] === 'matches') {
    return 'matches() is not available: it backtracks and can take exponential time on hostile arguments; use safeMatches(), which has RE2 semantics and linear time';
  }
  if (op === 'rcall' && args[0] === 'safeMatches') {
    const pattern = (args[2] as ASTNode[] | undefined)?.[0];
    if (pattern?.op === 'value' && typeof pattern.args === 'string') {
      try {
        RE2JS.compile(pattern.args);
      } catch (error) {
        return `safeMatches() pattern ${JSON.stringify(pattern.args)} is not a valid RE2 regular expression: ${(error as Error).message}`;
      }
    }
  }
  return regexProblem(args);
}

/** The CEL engine, on @marcbachmann/cel-js. Creating the environment is costly: share one engine. */
export function createCelEngine(): ConditionEngine {
  const env = createEnvironment();
  return {
    language: 'cel',
    compile(source) {
      return compileCondition(env, source);
    },
    bind(variables) {
      return bindVariables(variables) as unknown as Activation;
    },
  };
}

function compileCondition(env: Environment, source: string): CompileResult {
  let program: Program;
  try {
    // Parse once; the parsed expression type-checks against the environment it came from.
    const parsed = env.parse(source);
    const problem = regexProblem(parsed.ast);
    if (problem) return { ok: false, message: problem };
    const checked = parsed.check();
    if (!checked.valid) return { ok: false, message: describeCelError(checked.error) };
    if (checked.type !== 'bool' && checked.type !== 'dyn') {
      return {
        ok: false,
        message: `a condition must be a bool, but this expression is of type ${checked.type}`,
      };
    }
    program = parsed as unknown as Program;
  } catch (error) {
    return { ok: false, message: describeCelError(error) };
  }
  const condition: CompiledCondition = {
    source,
    constant: constantValue(program),
    evaluate(activation) {
      let result: unknown;
      try {
        result = program(activation as unknown as Record<string, unknown>);
      } catch (error) {
        throw new ConditionError(describeCelError(error));
      }
      if (typeof result !== 'boolean')
        throw new ConditionError(`condition returned ${typeof result}, not a bool`);
      return result;
    },
  };
  return { ok: true, condition };
}

/** Evaluated with no variables bound, an expression that reads any variable fails; one that does not is a constant. */
function constantValue(program: Program): boolean | undefined {
  try {
    const value = program({});
    return typeof value === 'boolean' ? value : undefined;
  } catch {
    return undefined;
  }
}

function bindVariables(v: ConditionVariables): Record<string, unknown> {
  // Field by field: nothing of the agent beyond the declared fields (its grants above all) is reachable.
  const a: Omit<AgentFacts, 'grants'> = v.agent;
  const c: ContextFacts = v.context;
  const bound: Record<string, unknown> = {
    agent: new AgentVar(
      a.id,
      a.name ?? '',
      a.roles ?? [],
      a.tier ?? '',
      a.environment ?? '',
      a.labels ?? {},
      a.owner ?? '',
      a.risk ?? '',
    ),
    tool: new ToolVar(v.tool.name, v.tool.server),
    args: v.args,
    context: new ContextVar(c.taskId ?? '', c.initiator ?? '', c.onBehalfOf ?? '', c.interface ?? ''),
    delegation: new DelegationVar(BigInt(v.delegation.depth), v.delegation.chain),
  };
  if (v.usage) bound.usage = bindUsage(v.usage);
  if (v.time) bound.time = bindTime(v.time);
  return bound;
}

function bindUsage(u: UsageFacts): UsageVar {
  return new UsageVar(
    u.cost_today_usd,
    u.cost_month_usd,
    toInt(u.calls_last_hour),
    toInt(u.calls_today),
    toInt(u.records_today),
  );
}

function bindTime(t: TimeFacts): TimeVar {
  return new TimeVar(t.now, toInt(t.hour ?? t.now.getUTCHours()), toInt(t.weekday ?? t.now.getUTCDay()));
}

function toInt(value: number): bigint {
  return BigInt(Math.trunc(Number.isFinite(value) ? value : 0));
}

function describeCelError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // cel-js appends a source excerpt with a caret after the first line; the first line is the message.
  return error.message.split('\n')[0] ?? error.message;
}
