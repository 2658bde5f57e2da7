/**
 * Agent signals: values the agent reports with a call (`context.signals`), such as its confidence or
 * a risk score. A bundle declares each signal it reads with a type, so conditions over them are
 * type-checked when the bundle loads and a call cannot slip a string where a number is compared.
 */

export type SignalType = 'number' | 'boolean' | 'string';
export type SignalValue = number | boolean | string;

export const SIGNAL_TYPES: readonly SignalType[] = ['number', 'boolean', 'string'];

/** A signal name is a CEL identifier, so `signals.<name>` reads it. */
export const SIGNAL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** At most this many signals in a call, and declared in a bundle. */
export const MAX_SIGNALS = 32;
/** A string signal is short: a label, not a document. Its declaration may lower this. */
export const MAX_SIGNAL_STRING = 256;

export interface SignalDeclaration {
  readonly name: string;
  readonly type: SignalType;
  /** For `string` signals: the longest value accepted (at most MAX_SIGNAL_STRING). */
  readonly maxLength?: number;
  /**
   * What a call that does not report the signal reads. Without a default, a condition that reads
   * the missing signal cannot be evaluated, and the call is denied (`condition_error`): fail closed.
   */
  readonly default?: SignalValue;
  readonly description: string;
  readonly source: { readonly file: string; readonly line: number };
}

export type Signals = Readonly<Record<string, SignalValue>>;

/** A problem with the signals of one call: the signal's name (empty for the map) and what is wrong. */
export interface SignalProblem {
  readonly signal: string;
  readonly message: string;
}

/**
 * Checks a call's signals against the bundle's declarations: only declared names, each of its
 * declared type (strings within their length), at most MAX_SIGNALS. Undefined when they are usable.
 */
export function checkSignals(
  declared: ReadonlyMap<string, SignalDeclaration>,
  given: unknown,
): SignalProblem | undefined {
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    return { signal: '', message: 'expected a map of signal names to numbers, booleans or strings' };
  }
  const names = Object.keys(given);
  if (names.length > MAX_SIGNALS) {
    return { signal: '', message: `holds ${names.length} signals; at most ${MAX_SIGNALS} are allowed` };
  }
  for (const name of names) {
    const declaration = declared.get(name);
    if (!declaration) {
      const known = [...declared.keys()];
      return {
        signal: name,
        message: `signal '${name}' is not declared by the policy (${known.length > 0 ? `declared: ${known.join(', ')}` : 'it declares no signals'})`,
      };
    }
    const value = (given as Record<string, unknown>)[name];
    const problem = valueProblem(declaration, value);
    if (problem) return { signal: name, message: problem };
  }
  return undefined;
}

/** Why `value` is not a value of the declared signal, or undefined when it is. */
export function valueProblem(declaration: SignalDeclaration, value: unknown): string | undefined {
  const got = value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`;
  switch (declaration.type) {
    case 'number':
      if (typeof value !== 'number') return `expected a number, got ${got}`;
      return Number.isFinite(value) ? undefined : 'expected a finite number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `expected true or false, got ${got}`;
    case 'string': {
      if (typeof value !== 'string') return `expected a string, got ${got}`;
      const max = declaration.maxLength ?? MAX_SIGNAL_STRING;
      return value.length > max ? `expected at most ${max} characters, got ${value.length}` : undefined;
    }
  }
}

/** The signals a condition reads: those given, and the declared default of each one not given. */
export function withDefaults(
  declared: ReadonlyMap<string, SignalDeclaration>,
  given: Signals | undefined,
): Signals {
  const values: Record<string, SignalValue> = {};
  for (const declaration of declared.values()) {
    const value = given?.[declaration.name] ?? declaration.default;
    if (value !== undefined) values[declaration.name] = value;
  }
  return values;
}
