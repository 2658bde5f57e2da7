/** Throws a RangeError unless `value` is a non-negative safe integer; `name` appears in the message. */
export function requireCount(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer, got ${String(value)}`);
  }
}

/** Non-throwing form of requireCount, for verifiers that must answer false instead of failing. */
export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
