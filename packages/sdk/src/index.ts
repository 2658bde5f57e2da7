export type { AgentApproval } from './approvals.js';
export {
  type Clearance,
  type DecideInput,
  type Estimate,
  type GuardOptions,
  SDK_VERSION,
  type UnavailablePolicy,
  Warden,
  type WardenOptions,
} from './client.js';
export { WardenDenied, WardenError, WardenInputError, WardenRequestError } from './errors.js';
export type * from './generated/api.js';
export { currentTask, type DecideContext, type TaskContext } from './task.js';
export { type RetryOptions, WardenUnreachable } from './transport.js';
export type { JsonObject } from './validate.js';
