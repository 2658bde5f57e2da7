/**
 * The one shape of a service result. A refusal is a value, not an exception: `{ ok: false, code,
 * message }`, where `code` is a closed set of the service's own (an ErrorCode where it maps to one)
 * and a failure may carry more fields beside them (a policy's `issues`, a rule's `field`). Success
 * is `ok: true` with the value's fields beside it.
 */
export interface Failure<Code extends string = string> {
  readonly ok: false;
  readonly code: Code;
  readonly message: string;
}

export type Ok<T extends object = object> = { readonly ok: true } & T;

export type Result<T extends object = object, F extends Failure = Failure> = Ok<T> | F;

export function failure<Code extends string>(code: Code, message: string): Failure<Code>;
export function failure<Code extends string, Extra extends object>(
  code: Code,
  message: string,
  extra: Extra,
): Failure<Code> & Extra;
export function failure(code: string, message: string, extra: object = {}): Failure {
  return { ...extra, ok: false, code, message };
}
