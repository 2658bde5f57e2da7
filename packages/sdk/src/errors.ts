import type { Decision } from './generated/api.js';

/** Every error the SDK throws: `code` is Warden's (`invalid_request`, `governance_unavailable`, …) or the SDK's. */
export class WardenError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WardenError';
    this.code = code;
  }
}

/**
 * The call may not run: Warden denied it (`code` is the decision's: `no_grant`, `rule`,
 * `budget_exceeded`, …), a human rejected it or let it expire (`approval_denied`,
 * `approval_expired`), or governance could not be applied (`governance_unavailable`: Warden is down
 * or could not record the decision). Catching it is the agent's cue to tell the user, not to retry
 * blindly.
 */
export class WardenDenied extends WardenError {
  readonly reason: string;
  /** The approval request behind a review that ended in a deny, when there was one. */
  readonly approvalId: string | undefined;
  /** The decision, when Warden made one. */
  readonly decision: Decision | undefined;

  constructor(
    code: string,
    reason: string,
    details: { approvalId?: string; decision?: Decision; cause?: unknown } = {},
  ) {
    super(code, reason, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'WardenDenied';
    this.reason = reason;
    this.approvalId = details.approvalId;
    this.decision = details.decision;
  }
}

/**
 * Warden answered with an error other than "unavailable": the request was wrong (400), the key is
 * unknown or of the wrong kind (401, 403), the resource is not the agent's (404), the change does
 * not apply (409). Never an allow.
 */
export class WardenRequestError extends WardenError {
  readonly status: number;
  readonly requestId: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    extra: { requestId?: string; details?: Record<string, unknown> } = {},
  ) {
    super(code, message);
    this.name = 'WardenRequestError';
    this.status = status;
    this.requestId = extra.requestId;
    this.details = extra.details;
  }
}

/** The SDK refused its caller's input before anything was sent; `field` names what is wrong. */
export class WardenInputError extends WardenError {
  readonly field: string;

  constructor(field: string, message: string) {
    super('invalid_input', `${field}: ${message}`);
    this.name = 'WardenInputError';
    this.field = field;
  }
}
