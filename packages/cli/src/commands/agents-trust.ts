import { readFileSync } from 'node:fs';
import { isRecord } from '../http-client.js';
import { EXIT, paint, UsageError } from '../io.js';
import { checkEnum, checkId, positional, stringOf } from './agents-args.js';
import { type AgentsCommand, type Json, keyValues, objectField, printJson, text } from './agents-format.js';

/** `warden agents trust <agt_id>`: where the agent stands in its trust tier and what promotion needs. */
export const trust: AgentsCommand = {
  help: `Usage: warden agents trust <agt_id>

Explains an agent's trust tier: since when it holds it, the criteria of the next tier with the
figures Warden recorded (days in the tier, critical incidents, days within budget, successful
actions, failure rate), which are met, and what it still needs. Any human of the tenant may ask.
`,
  options: {},
  positionals: ['agent id'],
  prepare(_values, positionals) {
    const id = checkId('agent id', 'agt', positional(positionals, 0, 'agent id', 'trust'));
    return async (api, io, json) => {
      const response = await api.request('GET', `/v1/agents/${id}/trust`);
      if (json) {
        printJson(io, response);
        return EXIT.ok;
      }
      const body = isRecord(response) ? response : {};
      const next = body.nextTier;
      io.out(
        keyValues([
          ['agent', `${text(body.agentId)} (${text(body.name)})`],
          ['tier', `${text(body.tier)} since ${text(body.tierSince)}`],
          ['next tier', next ? text(next) : 'none: trusted is the top tier'],
          ['promotion', promotionLine(body)],
          ['last evaluated', text(body.lastEvaluatedAt, 'never')],
        ]),
      );
      const criteria = Array.isArray(body.criteria) ? body.criteria.filter(isRecord) : [];
      if (criteria.length > 0)
        io.out(`\nCriteria for ${text(next)}:\n${criteria.map((c) => criterionLine(io, c)).join('')}`);
      return EXIT.ok;
    };
  },
};

function promotionLine(body: Json): string {
  if (body.pendingPromotion)
    return `requested: ${text(body.pendingPromotion)} waits for the owner, then security`;
  if (body.eligible === true) {
    return body.promotion === 'automatic'
      ? 'every criterion is met: the next daily evaluation promotes it'
      : body.promotion === 'off'
        ? 'every criterion is met, but promotion by evidence is off for this tenant'
        : 'every criterion is met: the next daily evaluation asks the owner, then security';
  }
  return `${text(body.promotion)} (not every criterion is met yet)`;
}

function criterionLine(io: Parameters<typeof paint>[0], c: Json): string {
  const mark = c.met === true ? paint(io, 'green', 'met    ') : paint(io, 'yellow', 'not met');
  const needs = c.needs ? `\n      needs ${text(c.needs)}` : '';
  return `  ${mark}  ${text(c.name)}: ${text(c.actual)} (${text(c.required)})${needs}\n`;
}

const PROMOTION_MODES = ['approval', 'automatic', 'off'] as const;
const DEMOTION_MODES = ['automatic', 'off'] as const;

/** `warden agents trust-criteria [--file f] [--promotion m] [--demotion m]`: show or change them. */
export const trustCriteria: AgentsCommand = {
  help: `Usage: warden agents trust-criteria [--file <criteria.json>] [--promotion <mode>] [--demotion <mode>]

Without options, prints the tenant's trust-tier criteria. With --file, replaces them with the
JSON document in the file (the shape "warden agents trust-criteria --json" prints under
"criteria"); --promotion (approval, automatic, off) and --demotion (automatic, off) change one
mode and keep the rest. Changing them needs admin or security.
`,
  options: { file: { type: 'string' }, promotion: { type: 'string' }, demotion: { type: 'string' } },
  positionals: [],
  prepare(values) {
    const file = stringOf(values, 'file');
    const promotionFlag = stringOf(values, 'promotion');
    const demotionFlag = stringOf(values, 'demotion');
    const promotion =
      promotionFlag === undefined ? undefined : checkEnum('--promotion', PROMOTION_MODES, promotionFlag);
    const demotion =
      demotionFlag === undefined ? undefined : checkEnum('--demotion', DEMOTION_MODES, demotionFlag);
    const fromFile = file === undefined ? undefined : readCriteria(file);
    const changing = fromFile !== undefined || promotion !== undefined || demotion !== undefined;
    return async (api, io, json) => {
      let criteria = objectField(await api.request('GET', '/v1/trust/criteria'), 'criteria');
      if (changing) {
        criteria = {
          ...(fromFile ?? criteria),
          ...(promotion ? { promotion } : {}),
          ...(demotion ? { demotion } : {}),
        };
        criteria = objectField(await api.request('PUT', '/v1/trust/criteria', criteria), 'criteria');
      }
      if (json) {
        printJson(io, { criteria });
        return EXIT.ok;
      }
      if (changing) io.out(`${paint(io, 'green', 'saved the trust-tier criteria')}\n`);
      io.out(criteriaText(criteria));
      return EXIT.ok;
    };
  },
};

function readCriteria(file: string): Json {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--file: cannot read ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new UsageError(`--file: ${file} is not JSON: ${(error as Error).message}`);
  }
  if (!isRecord(parsed)) throw new UsageError(`--file: ${file} must hold a JSON object`);
  // Accept the whole `--json` output as well as the criteria alone.
  return isRecord(parsed.criteria) ? parsed.criteria : parsed;
}

function criteriaText(criteria: Json): string {
  const tiers = isRecord(criteria.promoteTo) ? criteria.promoteTo : {};
  const tierLines = (name: string) => {
    const c = isRecord(tiers[name]) ? tiers[name] : {};
    return keyValues([
      ['  days in tier', `at least ${text(c.minDaysInTier)}`],
      ['  critical incidents', `at most ${text(c.maxCriticalIncidents)}`],
      ['  within budget', `on at least ${text(c.withinBudgetDaysPercent)}% of active days`],
      ['  successful actions', `at least ${text(c.minSuccessfulActions)}`],
      ['  failure rate', `below ${text(c.maxFailureRatePercent)}%`],
    ]);
  };
  return `${keyValues([
    ['promotion', text(criteria.promotion)],
    ['demotion', text(criteria.demotion)],
    ['ask again after', `${text(criteria.reaskAfterDays)} days`],
  ])}to monitored (from sandbox):\n${tierLines('monitored')}to trusted (from monitored):\n${tierLines('trusted')}`;
}
