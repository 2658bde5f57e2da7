import type { CliIo } from '../io.js';
import { arrayField, type Json, objectField, table, text } from './agents-format.js';

const short = (version: unknown) => (typeof version === 'string' ? version.slice(0, 12) : '-');

/** `warden policy impact`'s report as people read it: the totals, then every group of changes. */
export function impactText(io: CliIo, report: unknown): string {
  const r = report as Json;
  const window = objectField(report, 'window');
  const head =
    `Candidate ${short(r.candidateVersion)} (active ${short(r.activeVersion)}) replayed over the decisions ` +
    `from ${text(window.since)} to ${text(window.until)}${Array.isArray(window.agents) ? ` of ${window.agents.join(', ')}` : ''}\n`;
  if (r.decisions === 0) return `${head}${text(r.note)}\n`;
  const transitions = Object.entries(objectField(report, 'transitions'))
    .filter(([, count]) => count !== 0)
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');
  const skipped = objectField(report, 'notReplayed');
  const lines = [
    head,
    `  ${r.decisions} decisions: ${r.replayed} replayed, ${r.unchanged} unchanged, ${r.changed} changed${transitions ? ` (${transitions})` : ''}`,
    `  not replayed: ${skipped.redacted} with redacted arguments, ${skipped.rejectedArgs} with refused arguments, ` +
      `${skipped.noPolicyInput} without a kept policy input (server gates, older decisions)`,
  ];
  const redacted = arrayField(skipped, 'redactedExamples');
  if (redacted.length > 0)
    lines.push(`    redacted, e.g. ${redacted.map((e) => text(e.decisionId)).join(', ')}`);
  const groups = arrayField(report, 'groups');
  if (groups.length > 0) {
    lines.push(
      '',
      table(
        io,
        ['CHANGE', 'AGENT', 'TOOL', 'FROM RULE', 'TO RULE', 'COUNT', 'EXAMPLES'],
        groups.map((g) => [
          text(g.transition),
          text(g.agentId),
          text(g.tool),
          text(g.fromRule),
          text(g.toRule),
          String(g.count),
          arrayField(g, 'examples')
            .map((e) => text(e.decisionId))
            .join(' '),
        ]),
      ).trimEnd(),
    );
    if (r.groupsTruncated === true) lines.push('  (the most frequent groups; the totals count every change)');
  }
  return `${lines.join('\n')}\n`;
}

/** One scheduled version per line. */
export function scheduledText(io: CliIo, body: unknown): string {
  const rows = arrayField(body, 'scheduled');
  if (rows.length === 0) return 'No scheduled policy versions.\n';
  return table(
    io,
    ['ID', 'VERSION', 'STATUS', 'ACTIVATES', 'BY', 'AGENTS LOSING ALLOWS'],
    rows.map((s) => [
      text(s.id),
      short(s.version),
      text(s.status),
      text(s.activateAt),
      text(s.createdBy),
      arrayField(s, 'affectedAgents')
        .map((a) => `${text(a.agentName)} (${a.count})`)
        .join(', ') || '-',
    ]),
  );
}

/** What a reload did: activated (and whom it told) or scheduled. */
export function reloadText(body: unknown): string {
  const r = body as Json;
  const affected = arrayField(body, 'affectedAgents');
  const told =
    affected.length === 0
      ? ''
      : `\nTakes recorded allows away from ${affected.length} active agent(s); their owners were told:\n${affected
          .map(
            (a) =>
              `  ${text(a.agentName)} (${text(a.agentId)}), owner ${text(a.ownerEmail)}: ${a.count} allow(s)`,
          )
          .join('\n')}`;
  if (r.outcome === 'scheduled') {
    const schedule = objectField(body, 'schedule');
    return (
      `Version ${short(r.version)} scheduled as ${text(schedule.id)}: it becomes active at ${text(schedule.activateAt)} ` +
      `unless cancelled (warden policy cancel ${text(schedule.id)}).${told}\n`
    );
  }
  return `${r.changed === true ? 'Activated' : 'Already active:'} version ${short(r.version)} (${r.ruleCount} rules).${told}\n`;
}

/** `warden policy shadow report`: divergences by rule, tool and agent. */
export function shadowText(io: CliIo, report: unknown): string {
  const r = report as Json;
  const running = r.running === null ? null : objectField(report, 'running');
  const head = running
    ? `Shadow ${short(running.version)} running since ${text(running.startedAt)} (by ${text(running.startedBy)})\n`
    : `No shadow bundle is running${r.version ? `; the report is of ${short(r.version)}` : ''}\n`;
  if (r.version === null) return `${head}No divergences recorded.\n`;
  const scale = typeof r.decisions === 'number' ? ` of ${r.decisions} decisions` : '';
  const lines = [head, `  ${r.divergences} divergences${scale}`];
  const section = (title: string, key: string, rows: Json[]) => {
    if (rows.length === 0) return;
    lines.push(
      '',
      title,
      table(
        io,
        [key, 'CHANGE', 'COUNT'],
        rows.map((c) => [text(c.key), text(c.transition), String(c.count)]),
      ).trimEnd(),
    );
  };
  section('By rule (active → shadow)', 'RULES', arrayField(report, 'byRule'));
  section('By tool', 'TOOL', arrayField(report, 'byTool'));
  section('By agent', 'AGENT', arrayField(report, 'byAgent'));
  return `${lines.join('\n')}\n`;
}
