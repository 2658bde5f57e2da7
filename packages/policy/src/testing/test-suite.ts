import { validateArguments } from '../decide/validate-input.js';
import type {
  AgentFacts,
  ContextFacts,
  DecisionInput,
  JsonObject,
  TemporaryGrant,
  TimeFacts,
  UsageFacts,
} from '../input.js';
import type { PolicyIssue } from '../issues.js';
import { FieldChecker, isPlainObject } from '../load/field-checker.js';
import { API_VERSION, TOOL_PATTERN } from '../load/policy-schema.js';
import { parseYamlFile, type YamlPath } from '../load/yaml-file.js';
import { EFFECTS, type Effect, TRUST_TIERS } from '../model.js';
import type { Signals, SignalValue } from '../signals/signals.js';
import { EMPTY_TASK, type TaskFacts } from '../task/task-facts.js';
import {
  type ApprovalExpectation,
  readApprovalExpectation,
  readApproverLabels,
} from './approval-expectation.js';

export interface PolicyTestCase {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly input: DecisionInput;
  readonly expect: {
    readonly effect: Effect;
    readonly code?: string;
    /** Compared as a set with the decision's matched rule ids. */
    readonly rules?: readonly string[];
    /** Compared as a set with every approver of every step of the merged requirement. */
    readonly approvers?: readonly string[];
    /** The approval's mode, timeout, onTimeout, escalation targets and approvers. */
    readonly approval?: ApprovalExpectation;
    /** Whether the decision samples the call (`Decision.sample` is set). */
    readonly sampled?: boolean;
    /** Compared as a set with the labels the call marks its task with (`Decision.labels`). */
    readonly labels?: readonly string[];
  };
}

const CODES = ['rule', 'grant', 'no_grant', 'condition_error', 'invalid_input'] as const;
const USAGE_KEYS = [
  'cost_today_usd',
  'cost_month_usd',
  'calls_last_hour',
  'calls_today',
  'records_today',
] as const;

/**
 * Reads a `*.test.yaml` file: `kind: PolicyTest`, named agent fixtures, shared defaults and cases.
 * Returns the cases, or the issues that make the file unusable.
 */
export function readTestFile(file: string, text: string): { cases: PolicyTestCase[]; issues: PolicyIssue[] } {
  const parsed = parseYamlFile(file, text);
  const issues: PolicyIssue[] = [...parsed.issues];
  const cases: PolicyTestCase[] = [];
  for (const doc of parsed.documents) {
    const checker = new FieldChecker(doc);
    const root = checker.object([], doc.value, [
      'apiVersion',
      'kind',
      'metadata',
      'agents',
      'defaults',
      'cases',
    ]);
    if (root) {
      if (root.apiVersion !== API_VERSION)
        checker.error(
          ['apiVersion'],
          `expected ${API_VERSION}, got ${JSON.stringify(root.apiVersion ?? null)}`,
        );
      if (root.kind !== 'PolicyTest')
        checker.error(['kind'], `expected PolicyTest, got ${JSON.stringify(root.kind ?? null)}`);
      const fixtures = new Map<string, AgentFacts>();
      if (root.agents !== undefined) {
        const agents = checker.object(
          ['agents'],
          root.agents,
          Object.keys(isPlainObject(root.agents) ? root.agents : {}),
        );
        for (const [name, value] of Object.entries(agents ?? {})) {
          const agent = readAgent(checker, ['agents', name], value, fixtures);
          if (agent) fixtures.set(name, agent);
        }
      }
      const defaults = readDefaults(checker, root.defaults);
      if (!Array.isArray(root.cases) || root.cases.length === 0)
        checker.error(['cases'], 'expected a non-empty list of test cases');
      else {
        root.cases.forEach((item, index) => {
          const testCase = readCase(
            checker,
            ['cases', index],
            item,
            fixtures,
            defaults,
            doc.locate(['cases', index]).line,
          );
          if (testCase) cases.push(testCase);
        });
      }
    }
    issues.push(...checker.issues);
  }
  return { cases, issues };
}

function readCase(
  checker: FieldChecker,
  path: YamlPath,
  value: unknown,
  fixtures: ReadonlyMap<string, AgentFacts>,
  defaults: Defaults,
  line: number,
): PolicyTestCase | undefined {
  const raw = checker.object(path, value, ['name', ...INPUT_KEYS, 'expect']);
  if (!raw) return undefined;
  const before = checker.issues.length;
  const name = checker.requiredString([...path, 'name'], raw.name);
  const input = readInputFields(checker, path, raw, fixtures, defaults);
  const expect = readExpect(checker, [...path, 'expect'], raw.expect);
  if (checker.issues.length !== before || !name || !input || !expect) return undefined;
  return { name, file: checker.doc.file, line, input, expect };
}

const INPUT_KEYS = [
  'agent',
  'tool',
  'server',
  'args',
  'context',
  'usage',
  'time',
  'delegation',
  'signals',
  'task',
] as const;

/**
 * Reads a decision input given as data (`warden policy eval`, test cases):
 * `{agent, tool, server?, args?, context?, usage?, time?, delegation?}`.
 */
export function parseDecisionInput(
  value: unknown,
  source = '<input>',
): { input?: DecisionInput; issues: PolicyIssue[] } {
  const checker = new FieldChecker({ file: source, value, locate: () => ({ line: 0, column: 0 }) });
  const raw = checker.object([], value, INPUT_KEYS);
  const input = raw ? readInputFields(checker, [], raw, new Map(), {}) : undefined;
  return checker.issues.length === 0 && input ? { input, issues: [] } : { issues: checker.issues };
}

function readInputFields(
  checker: FieldChecker,
  path: YamlPath,
  raw: Record<string, unknown>,
  fixtures: ReadonlyMap<string, AgentFacts>,
  defaults: Defaults,
): DecisionInput | undefined {
  const before = checker.issues.length;
  if (raw.agent === undefined)
    checker.error([...path, 'agent'], 'is required: a fixture name or an agent mapping');
  const agent =
    raw.agent === undefined ? undefined : readAgent(checker, [...path, 'agent'], raw.agent, fixtures);
  const tool = checker.requiredString([...path, 'tool'], raw.tool);
  const toolServer = raw.server === undefined ? undefined : checker.string([...path, 'server'], raw.server);
  let args: JsonObject | undefined;
  if (raw.args !== undefined) {
    const problem = validateArguments(raw.args);
    if (problem) checker.error([...path, 'args'], problem);
    else args = raw.args as JsonObject;
  }
  const context =
    raw.context === undefined ? defaults.context : readContext(checker, [...path, 'context'], raw.context);
  const usage = raw.usage === undefined ? defaults.usage : readUsage(checker, [...path, 'usage'], raw.usage);
  const time = raw.time === undefined ? defaults.time : readTime(checker, [...path, 'time'], raw.time);
  let delegation: AgentFacts[] | undefined;
  if (raw.delegation !== undefined) {
    if (!Array.isArray(raw.delegation))
      checker.error([...path, 'delegation'], 'expected a list of agents, outermost delegator first');
    else
      delegation = raw.delegation.flatMap(
        (item, i) => readAgent(checker, [...path, 'delegation', i], item, fixtures) ?? [],
      );
  }
  const signals =
    raw.signals === undefined ? undefined : readSignals(checker, [...path, 'signals'], raw.signals);
  // Without a history, a case is a task's first call (or a call outside any task), as on the server.
  const task = raw.task === undefined ? EMPTY_TASK : readTask(checker, [...path, 'task'], raw.task);
  if (checker.issues.length !== before || !agent || !tool) return undefined;
  return {
    agent,
    tool,
    ...(toolServer ? { toolServer } : {}),
    ...(args ? { args } : {}),
    ...(context ? { context } : {}),
    ...(usage ? { usage } : {}),
    ...(time ? { time } : {}),
    ...(delegation ? { delegation } : {}),
    ...(signals ? { signals } : {}),
    ...(task ? { task } : {}),
  };
}

/**
 * The signals the agent reports, as given: whether they are declared and of the declared type is
 * the bundle's to say, so a wrong one makes the case's decision `invalid_input`, as in production.
 */
function readSignals(checker: FieldChecker, path: YamlPath, value: unknown): Signals | undefined {
  if (!isPlainObject(value)) {
    checker.error(path, 'expected a mapping of signal names to numbers, booleans or strings');
    return undefined;
  }
  const signals: Record<string, SignalValue> = {};
  for (const [name, item] of Object.entries(value)) {
    if (typeof item === 'number' || typeof item === 'boolean' || typeof item === 'string')
      signals[name] = item;
    else checker.error([...path, name], 'expected a number, a boolean or a string');
  }
  return signals;
}

const TASK_KEYS = ['calls', 'denied', 'tool_calls', 'failures', 'tools', 'labels'] as const;

/**
 * The task's history as Warden would compute it. What is not given is empty; `tools` defaults to the
 * tools of `tool_calls` and `failures`, and `calls` to the sum of `tool_calls`.
 */
function readTask(checker: FieldChecker, path: YamlPath, value: unknown): TaskFacts | undefined {
  const raw = checker.object(path, value, TASK_KEYS);
  if (!raw) return undefined;
  const count = (key: string, item: unknown): number | undefined => {
    if (typeof item === 'number' && Number.isInteger(item) && item >= 0) return item;
    checker.error([...path, key], 'expected a whole number of at least 0');
    return undefined;
  };
  const counts = (key: 'tool_calls' | 'failures'): Record<string, number> => {
    if (raw[key] === undefined) return {};
    if (!isPlainObject(raw[key])) {
      checker.error([...path, key], 'expected a mapping of tool names to counts');
      return {};
    }
    const out: Record<string, number> = {};
    for (const [tool, item] of Object.entries(raw[key] as Record<string, unknown>)) {
      const n = count(`${key}.${tool}`, item);
      if (n !== undefined) out[tool] = n;
    }
    return out;
  };
  const toolCalls = counts('tool_calls');
  const failures = counts('failures');
  const list = (key: 'tools' | 'labels') =>
    raw[key] === undefined ? undefined : checker.stringList([...path, key], raw[key]);
  const tools = list('tools') ?? [...new Set([...Object.keys(toolCalls), ...Object.keys(failures)])];
  const summed = Object.values(toolCalls).reduce((a, b) => a + b, 0);
  return {
    calls: raw.calls === undefined ? summed : (count('calls', raw.calls) ?? 0),
    denied: raw.denied === undefined ? 0 : (count('denied', raw.denied) ?? 0),
    tool_calls: toolCalls,
    failures,
    tools: [...tools].sort(),
    labels: [...new Set(list('labels') ?? [])].sort(),
  };
}

/** Context, usage and time shared by every case of a file that does not give its own. */
type Defaults = Pick<DecisionInput, 'context' | 'usage' | 'time'>;

function readDefaults(checker: FieldChecker, value: unknown): Defaults {
  if (value === undefined) return {};
  const raw = checker.object(['defaults'], value, ['context', 'usage', 'time']);
  if (!raw) return {};
  const context = readContext(checker, ['defaults', 'context'], raw.context);
  const usage = readUsage(checker, ['defaults', 'usage'], raw.usage);
  const time = readTime(checker, ['defaults', 'time'], raw.time);
  return { ...(context ? { context } : {}), ...(usage ? { usage } : {}), ...(time ? { time } : {}) };
}

function readAgent(
  checker: FieldChecker,
  path: YamlPath,
  value: unknown,
  fixtures: ReadonlyMap<string, AgentFacts>,
): AgentFacts | undefined {
  if (typeof value === 'string') {
    const fixture = fixtures.get(value);
    if (!fixture)
      checker.error(path, `no agent fixture named ${JSON.stringify(value)}; define it under agents:`);
    return fixture;
  }
  const raw = checker.object(path, value, [
    'id',
    'name',
    'roles',
    'tier',
    'environment',
    'labels',
    'owner',
    'risk',
    'grants',
  ]);
  if (!raw) return undefined;
  const id = checker.requiredString([...path, 'id'], raw.id);
  const optionalString = (key: string) =>
    raw[key] === undefined ? undefined : checker.string([...path, key], raw[key]);
  const tier = raw.tier === undefined ? undefined : checker.oneOf([...path, 'tier'], raw.tier, TRUST_TIERS);
  const roles = raw.roles === undefined ? undefined : checker.stringList([...path, 'roles'], raw.roles);
  const labels = raw.labels === undefined ? undefined : checker.stringMap([...path, 'labels'], raw.labels);
  const grants = raw.grants === undefined ? undefined : readGrants(checker, [...path, 'grants'], raw.grants);
  if (!id) return undefined;
  const facts: Record<string, unknown> = {
    id,
    name: optionalString('name'),
    roles,
    tier,
    environment: optionalString('environment'),
    labels,
    owner: optionalString('owner'),
    risk: optionalString('risk'),
    grants,
  };
  for (const key of Object.keys(facts)) if (facts[key] === undefined) delete facts[key];
  return facts as unknown as AgentFacts;
}

/** Temporary grants as the server passes them: `[{id, tools: [names or globs]}]`. */
function readGrants(checker: FieldChecker, path: YamlPath, value: unknown): TemporaryGrant[] | undefined {
  if (!Array.isArray(value)) {
    checker.error(path, 'expected a list of grants, each {id, tools}');
    return undefined;
  }
  const grants: TemporaryGrant[] = [];
  value.forEach((item, index) => {
    const raw = checker.object([...path, index], item, ['id', 'tools']);
    if (!raw) return;
    const id = checker.requiredString([...path, index, 'id'], raw.id, { maxLength: 200 });
    if (raw.tools === undefined) checker.error([...path, index, 'tools'], 'is required');
    const tools =
      raw.tools === undefined
        ? undefined
        : checker.stringList([...path, index, 'tools'], raw.tools, {
            pattern: TOOL_PATTERN,
            patternHint: 'a tool name or glob',
          });
    if (tools?.length === 0) checker.error([...path, index, 'tools'], 'must name at least one tool or glob');
    else if (id && tools) grants.push({ id, tools });
  });
  return grants.length === value.length ? grants : undefined;
}

function readContext(checker: FieldChecker, at: YamlPath, value: unknown): ContextFacts | undefined {
  if (value === undefined) return undefined;
  const raw = checker.object(at, value, ['taskId', 'initiator', 'onBehalfOf', 'interface']);
  if (!raw) return undefined;
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(raw)) {
    const text = checker.string([...at, key], item);
    if (text !== undefined) out[key] = text;
  }
  return out as ContextFacts;
}

/** In tests, counters not given are zero. */
function readUsage(checker: FieldChecker, path: YamlPath, value: unknown): UsageFacts | undefined {
  if (value === undefined) return undefined;
  const raw = checker.object(path, value, USAGE_KEYS);
  if (!raw) return undefined;
  const usage: Record<string, number> = {};
  for (const key of USAGE_KEYS) {
    const item = raw[key] ?? 0;
    if (typeof item !== 'number' || !Number.isFinite(item) || item < 0)
      checker.error([...path, key], 'expected a non-negative number');
    else usage[key] = item;
  }
  return usage as unknown as UsageFacts;
}

function readTime(checker: FieldChecker, path: YamlPath, value: unknown): TimeFacts | undefined {
  if (value === undefined) return undefined;
  const now = typeof value === 'string' ? new Date(value) : undefined;
  if (!now || Number.isNaN(now.getTime())) {
    checker.error(
      path,
      `expected an ISO 8601 time such as "2026-03-02T10:00:00Z", got ${JSON.stringify(value)}`,
    );
    return undefined;
  }
  return { now };
}

function readExpect(
  checker: FieldChecker,
  path: YamlPath,
  value: unknown,
): PolicyTestCase['expect'] | undefined {
  if (value === undefined) {
    checker.error(path, 'is required: at least the expected effect');
    return undefined;
  }
  const raw = checker.object(path, value, [
    'effect',
    'code',
    'rules',
    'approvers',
    'approval',
    'sampled',
    'labels',
  ]);
  if (!raw) return undefined;
  const effect = checker.oneOf([...path, 'effect'], raw.effect, EFFECTS);
  const code = raw.code === undefined ? undefined : checker.oneOf([...path, 'code'], raw.code, CODES);
  const rules = raw.rules === undefined ? undefined : checker.stringList([...path, 'rules'], raw.rules);
  const labels = raw.labels === undefined ? undefined : checker.stringList([...path, 'labels'], raw.labels);
  const approvers =
    raw.approvers === undefined
      ? undefined
      : readApproverLabels(checker, [...path, 'approvers'], raw.approvers);
  const approval =
    raw.approval === undefined
      ? undefined
      : readApprovalExpectation(checker, [...path, 'approval'], raw.approval);
  let sampled: boolean | undefined;
  if (typeof raw.sampled === 'boolean') sampled = raw.sampled;
  else if (raw.sampled !== undefined) checker.error([...path, 'sampled'], 'expected true or false');
  if (!effect) return undefined;
  return {
    effect,
    ...(code ? { code } : {}),
    ...(rules ? { rules } : {}),
    ...(approvers ? { approvers } : {}),
    ...(approval ? { approval } : {}),
    ...(sampled === undefined ? {} : { sampled }),
    ...(labels ? { labels } : {}),
  };
}
