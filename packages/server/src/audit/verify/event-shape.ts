type Fields = { readonly [key: string]: unknown };

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isOptionalString(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}

function isParty(value: unknown): boolean {
  return isObject(value) && typeof value.type === 'string' && typeof value.id === 'string';
}

/**
 * What keeps a parsed body from being a StoredEvent, or undefined when it is one. A body can be valid
 * canonical JSON yet not an event (forged by hand); the column and sequence checks need the fields.
 */
export function storedEventProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'the body is not a JSON object';
  if (value.v !== 1) return `unknown event version ${JSON.stringify(value.v)}`;
  for (const field of ['id', 'tenant', 'time', 'type'] as const) {
    if (typeof value[field] !== 'string') return `"${field}" is not a string`;
  }
  if (!Number.isSafeInteger(value.seq) || (value.seq as number) < 0) return '"seq" is not a sequence number';
  if (Number.isNaN(Date.parse(value.time as string))) return '"time" is not a timestamp';
  if (!isParty(value.actor)) return '"actor" lacks a type and id';
  if (!isParty(value.subject)) return '"subject" lacks a type and id';
  if (value.task !== undefined && !(isObject(value.task) && typeof value.task.id === 'string')) {
    return '"task" lacks an id';
  }
  for (const field of ['tool', 'effect', 'outcome'] as const) {
    if (!isOptionalString(value[field])) return `"${field}" is not a string`;
  }
  if (
    value.rules !== undefined &&
    !(Array.isArray(value.rules) && value.rules.every((r) => typeof r === 'string'))
  ) {
    return '"rules" is not a list of rule ids';
  }
  if (!('payload' in value)) return 'the event has no payload';
  return undefined;
}
