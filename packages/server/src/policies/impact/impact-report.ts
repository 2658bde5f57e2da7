import type { Effect } from '@warden/policy';

/** allow → deny first: the changes that break someone's pipeline come before those that loosen. */
const TRANSITION_ORDER = [
  'allow→deny',
  'allow→review',
  'review→deny',
  'review→allow',
  'deny→review',
  'deny→allow',
] as const;
export type Transition = (typeof TRANSITION_ORDER)[number];

/** At most this many groups are listed (the most frequent first, per transition); the totals count all. */
export const MAX_GROUPS = 500;
const EXAMPLES_PER_GROUP = 3;

export interface ChangeExample {
  readonly decisionId: string;
  readonly at: number;
}

/** Every changed verdict of one agent and tool, from one deciding rule to another. */
export interface ChangeGroup {
  readonly transition: Transition;
  readonly agentId: string;
  readonly tool: string;
  /** The rule that decided the recorded verdict, and the candidate's (null: no rule, e.g. no grant). */
  readonly fromRule: string | null;
  readonly toRule: string | null;
  readonly count: number;
  readonly examples: readonly ChangeExample[];
}

/** Decisions counted apart from the replay: their verdict under the candidate is not guessed. */
export interface NotReplayed {
  /** Arguments redacted before storage (a `[REDACTED:…]` value, or a sealed value since shredded). */
  readonly redacted: number;
  /** Arguments Warden refused as unusable: only a stand-in was kept. */
  readonly rejectedArgs: number;
  /** No policy input kept: a server gate decided before the policy (freeze, suspension, rate limit, …), or the decision predates kept inputs. */
  readonly noPolicyInput: number;
  readonly redactedExamples: readonly ChangeExample[];
}

export interface ImpactReport {
  readonly window: {
    readonly since: number;
    readonly until: number;
    readonly agents: readonly string[] | null;
  };
  readonly candidateVersion: string;
  /** Every decision of the window, replayed or not. */
  readonly decisions: number;
  readonly replayed: number;
  readonly unchanged: number;
  readonly changed: number;
  readonly transitions: Readonly<Record<Transition, number>>;
  readonly notReplayed: NotReplayed;
  /** Per agent, how many of its allows the candidate takes away (to deny or review). */
  readonly agentsLosingAllows: readonly { readonly agentId: string; readonly count: number }[];
  readonly groups: readonly ChangeGroup[];
  readonly groupsTruncated: boolean;
}

interface MutableGroup {
  transition: Transition;
  agentId: string;
  tool: string;
  fromRule: string | null;
  toRule: string | null;
  count: number;
  examples: ChangeExample[];
}

/** Collects a replay's results row by row; `report()` sorts and caps them. */
export class ImpactCollector {
  private decisions = 0;
  private replayed = 0;
  private readonly transitions = Object.fromEntries(TRANSITION_ORDER.map((t) => [t, 0])) as Record<
    Transition,
    number
  >;
  private readonly groups = new Map<string, MutableGroup>();
  private readonly losing = new Map<string, number>();
  private redacted = 0;
  private rejectedArgs = 0;
  private noPolicyInput = 0;
  private readonly redactedExamples: ChangeExample[] = [];

  skippedNoInput(): void {
    this.decisions++;
    this.noPolicyInput++;
  }

  skippedRejected(): void {
    this.decisions++;
    this.rejectedArgs++;
  }

  skippedRedacted(example: ChangeExample): void {
    this.decisions++;
    this.redacted++;
    if (this.redactedExamples.length < EXAMPLES_PER_GROUP) this.redactedExamples.push(example);
  }

  replayedRow(
    row: { agentId: string; tool: string; decisionId: string; at: number },
    before: { effect: Effect; rule: string | null },
    after: { effect: Effect; rule: string | null },
  ): void {
    this.decisions++;
    this.replayed++;
    if (before.effect === after.effect) return;
    const transition = `${before.effect}→${after.effect}` as Transition;
    this.transitions[transition]++;
    if (before.effect === 'allow') this.losing.set(row.agentId, (this.losing.get(row.agentId) ?? 0) + 1);
    const key = `${transition}\u0000${row.agentId}\u0000${row.tool}\u0000${before.rule}\u0000${after.rule}`;
    let group = this.groups.get(key);
    if (!group) {
      group = {
        transition,
        agentId: row.agentId,
        tool: row.tool,
        fromRule: before.rule,
        toRule: after.rule,
        count: 0,
        examples: [],
      };
      this.groups.set(key, group);
    }
    group.count++;
    if (group.examples.length < EXAMPLES_PER_GROUP)
      group.examples.push({ decisionId: row.decisionId, at: row.at });
  }

  report(window: ImpactReport['window'], candidateVersion: string): ImpactReport {
    const changed = Object.values(this.transitions).reduce((a, b) => a + b, 0);
    const rank = (t: Transition) => TRANSITION_ORDER.indexOf(t);
    const sorted = [...this.groups.values()].sort(
      (a, b) =>
        rank(a.transition) - rank(b.transition) ||
        b.count - a.count ||
        a.agentId.localeCompare(b.agentId) ||
        a.tool.localeCompare(b.tool),
    );
    return {
      window,
      candidateVersion,
      decisions: this.decisions,
      replayed: this.replayed,
      unchanged: this.replayed - changed,
      changed,
      transitions: { ...this.transitions },
      notReplayed: {
        redacted: this.redacted,
        rejectedArgs: this.rejectedArgs,
        noPolicyInput: this.noPolicyInput,
        redactedExamples: [...this.redactedExamples],
      },
      agentsLosingAllows: [...this.losing.entries()]
        .map(([agentId, count]) => ({ agentId, count }))
        .sort((a, b) => b.count - a.count || a.agentId.localeCompare(b.agentId)),
      groups: sorted.slice(0, MAX_GROUPS),
      groupsTruncated: sorted.length > MAX_GROUPS,
    };
  }
}
