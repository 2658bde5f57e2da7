/**
 * Reading token counts out of a provider's JSON, where a field may be missing, null, a string, a
 * float or negative. `undefined` means "not a count", so each converter decides explicitly what a
 * bad field means instead of letting a NaN reach a budget.
 */
export function readCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `record[key]` when `record` is an object, else undefined. */
export function field(record: unknown, key: string): unknown {
  return isRecord(record) ? record[key] : undefined;
}
