import type { ConfiguredValue, ServerEntry } from './server-entry.js';

/** A value as shown by the API and the audit: where a secret comes from, never a value. */
export type ShownValue = '(plain value)' | '(stored secret)' | { fromEnv: string } | { fromFile: string };

/** A type, not an interface, so it is a JSON value for the audit payload. */
export type ShownEntry = {
  name: string;
  transport: 'stdio' | 'http';
  command?: string;
  args?: string[];
  cwd?: string;
  url?: string;
  env?: Record<string, ShownValue>;
  headers?: Record<string, ShownValue>;
  timeoutSeconds: number;
  estimates: Record<string, number>;
};

/** An entry as the API answers it and the audit records it. */
export function shownEntry(entry: ServerEntry): ShownEntry {
  const shared = {
    name: entry.name,
    timeoutSeconds: entry.timeoutMs / 1_000,
    estimates: { ...entry.estimates },
  };
  if (entry.transport === 'http') {
    return { ...shared, transport: 'http', url: entry.url, headers: shownValues(entry.headers) };
  }
  return {
    ...shared,
    transport: 'stdio',
    command: entry.command,
    args: [...entry.args],
    ...(entry.cwd ? { cwd: entry.cwd } : {}),
    env: shownValues(entry.env),
  };
}

function shownValues(values: Readonly<Record<string, ConfiguredValue>>): Record<string, ShownValue> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, shownValue(value)]));
}

function shownValue(value: ConfiguredValue): ShownValue {
  if (typeof value === 'string') return '(plain value)';
  if ('sealed' in value) return '(stored secret)';
  return { ...value };
}
