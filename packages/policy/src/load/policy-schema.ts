import { approverKey } from '../decide/merge-approval.js';
import {
  type AgentSelector,
  type ApprovalRequirement,
  type ApprovalStep,
  type Approver,
  EFFECTS,
  type PolicyDocument,
  type PolicyKind,
  type Rule,
  type SignalsDocument,
  type ToolCatalog,
  type ToolCatalogEntry,
  TRUST_TIERS,
  type TrustTier,
} from '../model.js';
import { readApproverEntry } from './approver-entry.js';
import { parseDuration } from './duration.js';
import { describe, type FieldChecker, isPlainObject } from './field-checker.js';
import { readSignalsDocument } from './signals-schema.js';
import type { YamlDocument, YamlPath } from './yaml-file.js';

export { parseApprover } from './approver-entry.js';

export const API_VERSION = 'warden/v1';
export const DOCUMENT_KINDS = ['Policy', 'Guardrail', 'ToolCatalog', 'Signals'] as const;

/** Longest review deadline a rule may ask for; the server may cap it further. */
export const MAX_APPROVAL_TIMEOUT_SECONDS = 30 * 86_400;
const MAX_REQUIRED_APPROVERS = 20;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const NAME_HINT = 'a name of letters, digits, ".", "_" or "-" (starting with a letter or digit)';
export const TOOL_PATTERN = /^[A-Za-z0-9_*][A-Za-z0-9_.:/*-]{0,199}$/;
const TOOL_HINT = 'a tool name or glob of letters, digits, "_", ".", ":", "/", "-" and "*"';
export const TOOL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,199}$/;
const MAX_CONDITION_LENGTH = 4096;

export type LoadedDocument =
  | { readonly kind: 'policy'; readonly policy: PolicyDocument; readonly raw: unknown }
  | { readonly kind: 'catalog'; readonly catalog: ToolCatalog; readonly raw: unknown }
  | { readonly kind: 'signals'; readonly signals: SignalsDocument; readonly raw: unknown };

/** Validates one YAML document of a bundle. Returns undefined when it has errors (all in `checker`). */
export function readDocument(doc: YamlDocument, checker: FieldChecker): LoadedDocument | undefined {
  const root = checker.object([], doc.value, ['apiVersion', 'kind', 'metadata', 'spec']);
  if (!root) return undefined;
  const before = checker.issues.length;
  if (root.apiVersion !== API_VERSION) {
    checker.error(['apiVersion'], `expected ${API_VERSION}, got ${JSON.stringify(root.apiVersion ?? null)}`);
  }
  const kind = checker.oneOf(['kind'], root.kind, DOCUMENT_KINDS);
  const source = { file: doc.file, line: doc.locate([]).line };
  if (kind === 'ToolCatalog') {
    const catalog = readCatalog(checker, root, source);
    return catalog && checker.issues.length === before
      ? { kind: 'catalog', catalog, raw: doc.value }
      : undefined;
  }
  if (kind === 'Signals') {
    const signals = readSignalsDocument(checker, root, source);
    return signals && checker.issues.length === before
      ? { kind: 'signals', signals, raw: doc.value }
      : undefined;
  }
  const metadata = readMetadata(checker, root.metadata);
  const spec = checker.object(['spec'], root.spec ?? {}, ['agents', 'rules']);
  const agents = readSelector(checker, spec?.agents);
  const rules = readRules(checker, spec?.rules, kind ?? 'Policy', doc);
  if (!kind || !metadata || !agents || !rules || checker.issues.length !== before) return undefined;
  return { kind: 'policy', policy: { kind, metadata, agents, rules, source }, raw: doc.value };
}

function readMetadata(checker: FieldChecker, value: unknown): PolicyDocument['metadata'] | undefined {
  if (value === undefined) {
    checker.error(['metadata'], 'is required (name and owner at least)');
    return undefined;
  }
  const meta = checker.object(['metadata'], value, ['name', 'description', 'owner', 'labels']);
  if (!meta) return undefined;
  const name = checker.requiredString(['metadata', 'name'], meta.name, {
    pattern: NAME,
    patternHint: NAME_HINT,
  });
  // The owner is who wrote the policy: separation of duties keeps them from approving under it.
  const owner = checker.requiredString(['metadata', 'owner'], meta.owner, { maxLength: 200 });
  const description =
    meta.description === undefined
      ? ''
      : checker.string(['metadata', 'description'], meta.description, { maxLength: 2000 });
  const labels = meta.labels === undefined ? {} : checker.stringMap(['metadata', 'labels'], meta.labels);
  if (name === undefined || owner === undefined || description === undefined || labels === undefined)
    return undefined;
  return { name, owner, description, labels };
}

function readSelector(checker: FieldChecker, value: unknown): AgentSelector | undefined {
  const empty: AgentSelector = { ids: [], roles: [], labels: {}, tiers: [], environments: [] };
  if (value === undefined) return empty;
  const path = ['spec', 'agents'];
  const raw = checker.object(path, value, ['ids', 'roles', 'labels', 'tiers', 'environments']);
  if (!raw) return undefined;
  // An explicit empty list is almost always a template that rendered nothing; omitting the key is
  // how a policy says "every agent", so an empty list is refused rather than read as "everyone".
  const nonEmpty = (key: string, value: unknown) => {
    if (Array.isArray(value) && value.length === 0) {
      checker.error([...path, key], 'must list at least one entry; omit the key to select every agent');
      return false;
    }
    return true;
  };
  const list = (key: string) =>
    raw[key] === undefined
      ? []
      : nonEmpty(key, raw[key])
        ? checker.stringList([...path, key], raw[key])
        : undefined;
  const ids = list('ids');
  const roles = list('roles');
  const environments = list('environments');
  const labels = raw.labels === undefined ? {} : checker.stringMap([...path, 'labels'], raw.labels);
  let tiers: TrustTier[] | undefined = [];
  if (raw.tiers !== undefined && !nonEmpty('tiers', raw.tiers)) tiers = undefined;
  else if (raw.tiers !== undefined) {
    const names = checker.stringList([...path, 'tiers'], raw.tiers) ?? [];
    const known = names.flatMap((tier, i) => checker.oneOf([...path, 'tiers', i], tier, TRUST_TIERS) ?? []);
    tiers =
      known.length === names.length && Array.isArray(raw.tiers) && names.length === raw.tiers.length
        ? known
        : undefined;
  }
  if (!ids || !roles || !environments || !labels || !tiers) return undefined;
  return { ids, roles, labels, tiers, environments };
}

function readRules(
  checker: FieldChecker,
  value: unknown,
  kind: PolicyKind,
  doc: YamlDocument,
): Rule[] | undefined {
  if (value === undefined) {
    checker.error(['spec', 'rules'], 'is required: a policy without rules grants nothing');
    return undefined;
  }
  if (!Array.isArray(value) || value.length === 0) {
    checker.error(['spec', 'rules'], 'expected a non-empty list of rules');
    return undefined;
  }
  const rules: Rule[] = [];
  value.forEach((item, index) => {
    const rule = readRule(checker, ['spec', 'rules', index], item, kind, doc);
    if (rule) rules.push(rule);
  });
  return rules.length === value.length ? rules : undefined;
}

function readRule(
  checker: FieldChecker,
  path: YamlPath,
  value: unknown,
  kind: PolicyKind,
  doc: YamlDocument,
): Rule | undefined {
  const raw = checker.object(path, value, ['id', 'effect', 'tools', 'when', 'reason', 'approval', 'label']);
  if (!raw) return undefined;
  const id = checker.requiredString([...path, 'id'], raw.id, { pattern: NAME, patternHint: NAME_HINT });
  const effect = checker.oneOf([...path, 'effect'], raw.effect, EFFECTS);
  if (kind === 'Guardrail' && effect === 'allow') {
    checker.error(
      [...path, 'effect'],
      'a Guardrail may only deny or review; grant access in a Policy',
      id === undefined ? {} : { rule: id },
    );
  }
  let tools: string[] | undefined;
  if (raw.tools === undefined)
    checker.error([...path, 'tools'], 'is required: a list of tool names or globs such as crm.*');
  else
    tools = checker.stringList([...path, 'tools'], raw.tools, {
      pattern: TOOL_PATTERN,
      patternHint: TOOL_HINT,
    });
  if (tools?.length === 0) {
    checker.error([...path, 'tools'], 'must name at least one tool or glob');
    tools = undefined;
  }
  let when: string | undefined;
  if (raw.when !== undefined) {
    if (typeof raw.when === 'boolean') when = String(raw.when);
    else when = checker.string([...path, 'when'], raw.when, { maxLength: MAX_CONDITION_LENGTH });
  }
  const reason =
    raw.reason === undefined ? '' : checker.string([...path, 'reason'], raw.reason, { maxLength: 1000 });
  let approval: ApprovalRequirement | undefined;
  // An allow rule takes an approval only to sample its calls: a requirement that would hold the call
  // back is what a review rule is for.
  const samples = effect === 'allow' && isPlainObject(raw.approval) && raw.approval.mode === 'sample';
  if (raw.approval !== undefined && effect !== undefined && effect !== 'review' && !samples) {
    checker.error(
      [...path, 'approval'],
      `only review rules and sampling allow rules (mode: sample) take an approval; this rule's effect is ${effect}`,
    );
  } else if (effect === 'review' || samples) {
    approval = readApproval(
      checker,
      [...path, 'approval'],
      raw.approval,
      effect === 'review' ? 'review' : 'allow',
    );
  }
  const labels = raw.label === undefined ? undefined : readLabels(checker, [...path, 'label'], raw.label);
  const line = doc.locate(path).line;
  if (!id || !effect || !tools || (when === undefined && raw.when !== undefined) || reason === undefined)
    return undefined;
  if (raw.label !== undefined && !labels) return undefined;
  if ((effect === 'review' || raw.approval !== undefined) && !approval) return undefined;
  return {
    id,
    effect,
    tools,
    ...(when === undefined ? {} : { when }),
    reason,
    ...(approval ? { approval } : {}),
    ...(labels ? { labels } : {}),
    source: { file: doc.file, line, whenLine: doc.locate([...path, 'when']).line },
  };
}

const LABEL = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const LABEL_HINT = 'a label of lower-case letters, digits, "_", "." or "-" (at most 64), such as pii';

/** A rule's `label`: one data class (`label: pii`) or several (`label: [pii, payments]`). */
function readLabels(checker: FieldChecker, path: YamlPath, value: unknown): string[] | undefined {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) {
    checker.error(path, `expected a label or a non-empty list of labels, got ${describe(value)}`);
    return undefined;
  }
  const labels = checker.stringList(path, list, { pattern: LABEL, patternHint: LABEL_HINT });
  return labels ? [...new Set(labels)] : undefined;
}

const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 3600;
// Sampled calls have already run; their review is a queue worked through in days, not an hour.
const DEFAULT_SAMPLE_TIMEOUT_SECONDS = 7 * 86_400;
const RATE_HINT = 'a share of calls above 0 and at most 1, such as 0.05, or a percentage such as "5%"';

function readApproval(
  checker: FieldChecker,
  path: YamlPath,
  value: unknown,
  effect: 'allow' | 'review',
): ApprovalRequirement | undefined {
  // A review rule without approvers still yields a requirement (the tenant's default reviewers
  // decide); `warden policy lint` warns about it.
  if (value === undefined) {
    return {
      steps: [],
      timeoutSeconds: DEFAULT_APPROVAL_TIMEOUT_SECONDS,
      onTimeout: 'deny',
      escalateTo: [],
      mode: 'pre',
    };
  }
  const raw = checker.object(path, value, [
    'approvers',
    'required',
    'steps',
    'timeout',
    'onTimeout',
    'escalateTo',
    'mode',
    'rate',
  ]);
  if (!raw) return undefined;
  let steps: ApprovalStep[] | undefined;
  if (raw.steps !== undefined) {
    if (raw.approvers !== undefined || raw.required !== undefined) {
      checker.error([...path, 'steps'], 'give either approvers (with required) or steps, not both');
    }
    steps = readSteps(checker, [...path, 'steps'], raw.steps);
  } else if (raw.approvers !== undefined) {
    const step = readStep(
      checker,
      path,
      { name: 'approval', approvers: raw.approvers, required: raw.required },
      false,
    );
    steps = step ? [step] : undefined;
  } else {
    if (raw.required !== undefined) checker.error([...path, 'required'], 'needs approvers to count');
    steps = [];
  }
  const mode =
    raw.mode === undefined
      ? 'pre'
      : checker.oneOf([...path, 'mode'], raw.mode, ['pre', 'post', 'sample'] as const);
  if (mode === 'sample' && effect === 'review') {
    checker.error([...path, 'mode'], 'sample mode is for allow rules; a review rule reviews every call');
  }
  let sampleRate: number | undefined;
  if (mode === 'sample') {
    if (raw.rate === undefined)
      checker.error([...path, 'rate'], `is required when mode is sample: ${RATE_HINT}`);
    else sampleRate = readRate(checker, [...path, 'rate'], raw.rate);
  } else if (raw.rate !== undefined && mode !== undefined) {
    checker.error([...path, 'rate'], 'only applies when mode is sample');
  }
  let timeoutSeconds: number | undefined =
    mode === 'sample' ? DEFAULT_SAMPLE_TIMEOUT_SECONDS : DEFAULT_APPROVAL_TIMEOUT_SECONDS;
  if (raw.timeout !== undefined) {
    const text = checker.string([...path, 'timeout'], raw.timeout);
    timeoutSeconds = text === undefined ? undefined : parseDuration(text);
    if (
      text !== undefined &&
      (timeoutSeconds === undefined || timeoutSeconds < 1 || timeoutSeconds > MAX_APPROVAL_TIMEOUT_SECONDS)
    ) {
      checker.error(
        [...path, 'timeout'],
        `expected a duration from 1s to 30d such as 90s, 15m, 1h or 1h30m, got ${JSON.stringify(text)}`,
      );
      timeoutSeconds = undefined;
    }
  }
  const onTimeout =
    raw.onTimeout === undefined
      ? 'deny'
      : checker.oneOf([...path, 'onTimeout'], raw.onTimeout, ['deny', 'escalate'] as const);
  let escalateTo: Approver[] | undefined = [];
  if (onTimeout === 'escalate') {
    if (raw.escalateTo === undefined) {
      checker.error(
        [...path, 'escalateTo'],
        'is required when onTimeout is escalate: who the request goes to next',
      );
      escalateTo = undefined;
    } else escalateTo = readApprovers(checker, [...path, 'escalateTo'], raw.escalateTo);
  } else if (raw.escalateTo !== undefined) {
    checker.error([...path, 'escalateTo'], 'only applies when onTimeout is escalate');
  }
  if (!steps || timeoutSeconds === undefined || !onTimeout || !mode || !escalateTo) return undefined;
  if (mode !== 'sample') return { steps, timeoutSeconds, onTimeout, escalateTo, mode };
  if (effect !== 'allow' || sampleRate === undefined) return undefined;
  return { steps, timeoutSeconds, onTimeout, escalateTo, mode, sampleRate };
}

/** A sampling rate: a number such as 0.05, or a percentage string such as "5%" or "0.5%". */
function readRate(checker: FieldChecker, path: YamlPath, value: unknown): number | undefined {
  let rate: number | undefined;
  if (typeof value === 'number') rate = value;
  else if (typeof value === 'string') {
    const match = /^(\d+(?:\.\d+)?)%$/.exec(value);
    if (match) rate = Number(match[1]) / 100;
  }
  if (rate === undefined || !Number.isFinite(rate) || rate <= 0 || rate > 1) {
    checker.error(path, `expected ${RATE_HINT}, got ${describe(value)}`);
    return undefined;
  }
  return rate;
}

function readSteps(checker: FieldChecker, path: YamlPath, value: unknown): ApprovalStep[] | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    checker.error(path, 'expected a non-empty list of steps, each with name, approvers and required');
    return undefined;
  }
  const steps = value.map((item, index) => readStep(checker, [...path, index], item, true));
  return steps.every((step) => step !== undefined) ? (steps as ApprovalStep[]) : undefined;
}

function readStep(
  checker: FieldChecker,
  path: YamlPath,
  value: unknown,
  named: boolean,
): ApprovalStep | undefined {
  const raw = checker.object(path, value, ['name', 'approvers', 'required']);
  if (!raw) return undefined;
  const name = named
    ? checker.requiredString([...path, 'name'], raw.name, { pattern: NAME, patternHint: NAME_HINT })
    : String(raw.name);
  if (raw.approvers === undefined) checker.error([...path, 'approvers'], 'is required');
  const approvers =
    raw.approvers === undefined ? undefined : readApprovers(checker, [...path, 'approvers'], raw.approvers);
  const required =
    raw.required === undefined
      ? 1
      : checker.positiveInteger([...path, 'required'], raw.required, MAX_REQUIRED_APPROVERS);
  if (!name || !approvers || required === undefined) return undefined;
  // Only named humans can be counted at load time; groups are resolved by the server.
  const countable = approvers.every((a) => a.kind !== 'group');
  if (countable && required > approvers.length) {
    checker.error(
      [...path, 'required'],
      `asks for ${required} approvals but only ${approvers.length} approver${approvers.length === 1 ? ' is' : 's are'} listed`,
    );
    return undefined;
  }
  return { name, approvers, required };
}

function readApprovers(checker: FieldChecker, path: YamlPath, value: unknown): Approver[] | undefined {
  if (!Array.isArray(value)) {
    checker.error(path, `expected a list of approvers, got ${describe(value)}`);
    return undefined;
  }
  if (value.length === 0) {
    checker.error(path, 'must list at least one approver');
    return undefined;
  }
  const approvers: Approver[] = [];
  const seen = new Set<string>();
  value.forEach((entry: unknown, index: number) => {
    const approver = readApproverEntry(checker, [...path, index], entry);
    if (!approver) return;
    if (seen.has(approverKey(approver))) {
      // `required` counts distinct humans; a repeated entry would make the count a lie.
      checker.error([...path, index], `${approverKey(approver)} is listed twice`);
    } else {
      seen.add(approverKey(approver));
      approvers.push(approver);
    }
  });
  return approvers.length === value.length ? approvers : undefined;
}

function readCatalog(
  checker: FieldChecker,
  root: Record<string, unknown>,
  source: ToolCatalog['source'],
): ToolCatalog | undefined {
  const meta = checker.object(['metadata'], root.metadata ?? {}, ['name', 'description', 'owner', 'labels']);
  const name =
    meta?.name === undefined
      ? 'tools'
      : checker.string(['metadata', 'name'], meta.name, { pattern: NAME, patternHint: NAME_HINT });
  if (meta?.description !== undefined)
    checker.string(['metadata', 'description'], meta.description, { maxLength: 2000 });
  if (meta?.owner !== undefined) checker.string(['metadata', 'owner'], meta.owner, { maxLength: 200 });
  if (meta?.labels !== undefined) checker.stringMap(['metadata', 'labels'], meta.labels);
  const spec = checker.object(['spec'], root.spec, ['tools']);
  if (!spec || !Array.isArray(spec.tools)) {
    if (spec) checker.error(['spec', 'tools'], 'expected a list of tools');
    return undefined;
  }
  const tools: ToolCatalogEntry[] = [];
  spec.tools.forEach((item: unknown, index: number) => {
    const path = ['spec', 'tools', index];
    if (typeof item === 'string') {
      const toolName = checker.string(path, item, { pattern: TOOL_NAME, patternHint: 'a tool name' });
      if (toolName) tools.push({ name: toolName, server: '', description: '' });
      return;
    }
    const raw = checker.object(path, item, ['name', 'server', 'description']);
    if (!raw) return;
    const toolName = checker.requiredString([...path, 'name'], raw.name, {
      pattern: TOOL_NAME,
      patternHint: 'a tool name',
    });
    const server = raw.server === undefined ? '' : checker.string([...path, 'server'], raw.server);
    const description =
      raw.description === undefined
        ? ''
        : checker.string([...path, 'description'], raw.description, { maxLength: 2000 });
    if (toolName && server !== undefined && description !== undefined)
      tools.push({ name: toolName, server, description });
  });
  if (!name || tools.length !== spec.tools.length) return undefined;
  return { name, tools, source };
}
