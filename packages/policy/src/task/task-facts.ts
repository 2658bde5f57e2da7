/**
 * Task history: facts about the task a call belongs to, computed by Warden from the decisions and
 * outcomes it recorded earlier in the task (never reported by the agent). Conditions read them as
 * `task.*`; a rule over them speaks about a sequence of actions ("the same tool failed 3 times").
 */
export interface TaskFacts {
  /** Calls decided earlier in the task, whatever their effect. */
  readonly calls: number;
  /** Of those, how many were denied. */
  readonly denied: number;
  /** Calls decided earlier in the task, per tool. A tool not called reads as 0. */
  readonly tool_calls: Readonly<Record<string, number>>;
  /** Failed outcomes reported earlier in the task, per tool. A tool without failures reads as 0. */
  readonly failures: Readonly<Record<string, number>>;
  /** The distinct tools called earlier in the task, sorted. */
  readonly tools: readonly string[];
  /** Data classes the task touched: the `label`s of rules that matched calls it was allowed to make. */
  readonly labels: readonly string[];
}

/** A task with no history yet, or a call outside any task. */
export const EMPTY_TASK: TaskFacts = Object.freeze({
  calls: 0,
  denied: 0,
  tool_calls: Object.freeze({}),
  failures: Object.freeze({}),
  tools: Object.freeze([]) as readonly string[],
  labels: Object.freeze([]) as readonly string[],
});

/** Two snapshots of one task's history are the same facts (a condition reads the same values). */
export function sameTaskFacts(a: TaskFacts, b: TaskFacts): boolean {
  return (
    a.calls === b.calls &&
    a.denied === b.denied &&
    sameCounts(a.tool_calls, b.tool_calls) &&
    sameCounts(a.failures, b.failures) &&
    sameList(a.tools, b.tools) &&
    sameList(a.labels, b.labels)
  );
}

function sameCounts(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => a[key] === b[key]);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
