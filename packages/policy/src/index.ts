export { canonicalJson } from './canonical-json.js';
export {
  type CandidateGroup,
  type CompiledRule,
  compileBundle,
  type PolicyBundle,
} from './compile/compile-bundle.js';
export { compileGlob } from './compile/glob.js';
export { CONDITION_VARIABLES, createCelEngine } from './conditions/cel-engine.js';
export type {
  Activation,
  CompiledCondition,
  CompileResult,
  ConditionEngine,
  ConditionReads,
  ConditionVariables,
} from './conditions/condition-engine.js';
export { ConditionError } from './conditions/condition-engine.js';
export { type DecideOptions, decide } from './decide/decide.js';
export { grantFor, grantReason } from './decide/grants.js';
export { approverKey, mergeApprovals } from './decide/merge-approval.js';
export {
  MAX_ARGS_DEPTH,
  MAX_GRANT_TOOLS,
  MAX_GRANTS,
  validateArguments,
  validateInput,
} from './decide/validate-input.js';
export type { AgentVerdict, ConditionFailure, Decision, DecisionCode } from './decision.js';
export type {
  AgentFacts,
  ContextFacts,
  DecisionInput,
  JsonObject,
  JsonValue,
  TemporaryGrant,
  TimeFacts,
  UsageFacts,
} from './input.js';
export { fieldPath, formatIssue, type PolicyIssue } from './issues.js';
export { lintApproversAgainst, type TenantDirectory } from './lint/approver-directory.js';
export { lintBundle } from './lint/lint.js';
export { APPROVER_HINT, approverLabel, parseApprover } from './load/approver-entry.js';
export { parseDuration } from './load/duration.js';
export {
  isPolicyFile,
  isPolicyTestFile,
  type LoadOptions,
  type LoadResult,
  listFiles,
  loadBundle,
  loadBundleFromFiles,
  MAX_BUNDLE_RULES,
  MAX_FILE_BYTES,
  readBundleFiles,
  type SourceFile,
  toBundlePath,
} from './load/load-bundle.js';
export type * from './model.js';
export {
  checkSignals,
  MAX_SIGNAL_STRING,
  MAX_SIGNALS,
  SIGNAL_NAME,
  type SignalDeclaration,
  type SignalProblem,
  type Signals,
  type SignalType,
  type SignalValue,
  withDefaults,
} from './signals/signals.js';
export { EMPTY_TASK, sameTaskFacts, type TaskFacts } from './task/task-facts.js';
export { type CaseResult, runCase } from './testing/run-tests.js';
export { type PolicyTestCase, parseDecisionInput, readTestFile } from './testing/test-suite.js';
export { type GrantingRule, grantingRules, type SelectedBy } from './visibility/granting-rules.js';
export type {
  HiddenReason,
  ToolVisibility,
  VisibilityIndex,
  VisibilitySubject,
} from './visibility/types.js';
export { createVisibilityIndex, toolVisibility, visibleTools } from './visibility/visibility-index.js';
