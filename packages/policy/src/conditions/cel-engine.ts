import { type ASTNode, Environment } from '@marcbachmann/cel-js';
import { RE2JS } from 're2js';
import type { AgentFacts, ContextFacts, TimeFacts, UsageFacts } from '../input.js';
import type { SignalDeclaration, SignalType } from '../signals/signals.js';
import type { TaskFacts } from '../task/task-facts.js';
import {
  type Activation,
  type CompiledCondition,
  type CompileResult,
  type ConditionEngine,
  ConditionError,
  type ConditionReads,
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
class TaskVar {
  constructor(
    readonly calls: bigint,
    readonly denied: bigint,
    readonly tool_calls: ReadonlyMap<string, bigint>,
    readonly failures: ReadonlyMap<string, bigint>,
    readonly tools: readonly string[],
    readonly labels: readonly string[],
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
  task: {
    calls: 'int',
    denied: 'int',
    tool_calls: 'map<string, int>',
    failures: 'map<string, int>',
    tools: 'list<string>',
    labels: 'list<string>',
  },
} as const;

/** The CEL type of each kind of agent signal (JSON numbers are doubles). */
const SIGNAL_CEL_TYPES: Readonly<Record<SignalType, string>> = {
  number: 'double',
  boolean: 'bool',
  string: 'string',
};

const CLASSES = {
  agent: AgentVar,
  tool: ToolVar,
  context: ContextVar,
  usage: UsageVar,
  time: TimeVar,
  delegation: DelegationVar,
  task: TaskVar,
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

/**
 * What an expression reads beyond the fixed variables: whether it reads `task`, the signals it reads
 * (`signals.x`, `signals["x"]`, `has(signals.x)`), and the labels it looks for in `task.labels`
 * (`"pii" in task.labels`).
 */
function readsOf(root: unknown): { task: boolean; signals: Set<string>; labels: Set<string> } {
  const found = { task: false, signals: new Set<string>(), labels: new Set<string>() };
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    if (typeof node !== 'object' || node === null || !('op' in node)) return;
    const { op, args } = node as ASTNode;
    if (op === 'id' && args === 'task') found.task = true;
    if (Array.isArray(args)) {
      const [target, key] = args as unknown[];
      if ((op === '.' || op === '.?') && isId(target, 'signals') && typeof key === 'string') {
        found.signals.add(key);
      }
      if ((op === '[]' || op === '[?]') && isId(target, 'signals') && isStringValue(key)) {
        found.signals.add((key as ASTNode).args as string);
      }
      if (op === 'in' && isStringValue(target) && isField(key, 'task', 'labels')) {
        found.labels.add((target as ASTNode).args as string);
      }
    }
    walk(args);
  };
  walk(root);
  return found;
}

function isId(node: unknown, name: string): boolean {
  return (
    typeof node === 'object' &&
    node !== null &&
    (node as ASTNode).op === 'id' &&
    (node as ASTNode).args === name
  );
}

function isField(node: unknown, variable: string, field: string): boolean {
  if (typeof node !== 'object' || node === null || (node as ASTNode).op !== '.') return false;
  const [target, key] = (node as ASTNode).args as unknown[];
  return isId(target, variable) && key === field;
}

function isStringValue(node: unknown): boolean {
  return (
    typeof node === 'object' &&
    node !== null &&
    (node as ASTNode).op === 'value' &&
    typeof (node as ASTNode).args === 'string'
  );
}

/** The CEL engine, on @marcbachmann/cel-js. Creating the environment is costly: share one engine. */
export function createCelEngine(): ConditionEngine {
  const base = createEnvironment();
  // A bundle without declared signals still has `signals`, with no field a condition may read.
  // (It reads as an empty map: `signals.x` is refused at load time, as an undeclared signal.)
  return engineOn(base.clone().registerVariable('signals', 'map<string, dyn>'), new Map(), base, () => ({}));
}

/**
 * An engine on `env`. `base` is the environment every bundle's own (with its declared signals) is
 * cloned from: a clone is cheap, and keeps the registered variables, types and functions.
 */
function engineOn(
  env: Environment,
  declared: ReadonlyMap<string, SignalDeclaration>,
  base: Environment,
  signalsOf: SignalsBinder,
): ConditionEngine {
  return {
    language: 'cel',
    compile(source) {
      return compileCondition(env, source, declared);
    },
    bind(variables) {
      return bindVariables(variables, signalsOf) as unknown as Activation;
    },
    withSignals(declarations) {
      if (declarations.length === 0) return this;
      // One class per bundle: cel-js knows a typed value by its constructor, and each bundle's
      // `warden.signals` has its own fields.
      const Signals = class {
        constructor(values: Readonly<Record<string, unknown>>) {
          Object.assign(this, values);
        }
      };
      const fields = Object.fromEntries(declarations.map((d) => [d.name, SIGNAL_CEL_TYPES[d.type]]));
      const own = base.clone();
      own.registerType('warden.signals', { ctor: Signals, fields });
      own.registerVariable('signals', 'warden.signals');
      return engineOn(
        own,
        new Map(declarations.map((d) => [d.name, d])),
        base,
        (values) => new Signals(values),
      );
    },
  };
}

/** Turns a call's signals (declared names only, defaults filled in) into the engine's value. */
type SignalsBinder = (values: Readonly<Record<string, unknown>>) => object;

function compileCondition(
  env: Environment,
  source: string,
  declared: ReadonlyMap<string, SignalDeclaration>,
): CompileResult {
  let program: Program;
  let reads: ConditionReads;
  try {
    // Parse once; the parsed expression type-checks against the environment it came from.
    const parsed = env.parse(source);
    const problem = regexProblem(parsed.ast);
    if (problem) return { ok: false, message: problem };
    const found = readsOf(parsed.ast);
    const undeclared = [...found.signals].find((name) => !declared.has(name));
    if (undeclared !== undefined) {
      return {
        ok: false,
        message: `signal '${undeclared}' is not declared; declare it with its type in a Signals document (${declared.size > 0 ? `declared: ${[...declared.keys()].join(', ')}` : 'the bundle declares no signals'})`,
      };
    }
    reads = { task: found.task, labels: [...found.labels] };
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
    reads,
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

function bindVariables(v: ConditionVariables, signalsOf: SignalsBinder): Record<string, unknown> {
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
    signals: signalsOf(v.signals ?? {}),
  };
  if (v.task) bound.task = bindTask(v.task);
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

function bindTask(t: TaskFacts): TaskVar {
  return new TaskVar(
    toInt(t.calls),
    toInt(t.denied),
    countsOf(t.tool_calls),
    countsOf(t.failures),
    t.tools,
    t.labels,
  );
}

/**
 * Per-tool counts where a tool the task has not used reads as 0, so `task.failures[tool.name] >= 3`
 * needs no `in` guard. cel-js reads a map's entries with `get`; `in` and `size()` still see only the
 * tools that have counts.
 */
function countsOf(counts: Readonly<Record<string, number>>): ReadonlyMap<string, bigint> {
  const map = new Map<string, bigint>();
  for (const [tool, count] of Object.entries(counts)) map.set(tool, toInt(count));
  map.get = (tool: string) => Map.prototype.get.call(map, tool) ?? 0n;
  return map;
}

function toInt(value: number): bigint {
  return BigInt(Math.trunc(Number.isFinite(value) ? value : 0));
}

function describeCelError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // cel-js appends a source excerpt with a caret after the first line; the first line is the message.
  return error.message.split('\n')[0] ?? error.message;
}
