import { fieldPath, type PolicyIssue } from '../issues.js';
import type { YamlDocument, YamlPath } from './yaml-file.js';

/**
 * Reads untrusted YAML data field by field. Every check that fails records an issue that names the
 * file, line, field and what was expected, and returns undefined so the caller can go on and report
 * the next problem too: a user fixing a policy wants every error at once.
 */
export class FieldChecker {
  readonly issues: PolicyIssue[] = [];

  constructor(readonly doc: YamlDocument) {}

  error(path: YamlPath, message: string, options: { key?: boolean; rule?: string } = {}): void {
    this.issues.push({
      severity: 'error',
      file: this.doc.file,
      ...this.doc.locate(path, options.key),
      field: fieldPath(path),
      message,
      ...(options.rule === undefined ? {} : { rule: options.rule }),
    });
  }

  /** A mapping whose keys must all be known; unknown keys are errors (a typo must never be ignored). */
  object(path: YamlPath, value: unknown, known: readonly string[]): Record<string, unknown> | undefined {
    if (!isPlainObject(value)) {
      this.error(path, `expected a mapping, got ${describe(value)}`);
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) {
        const hint = suggest(key, known);
        this.error(
          [...path, key],
          `unknown key '${key}'${hint ? ` (did you mean '${hint}'?)` : ''}; expected one of ${known.join(', ')}`,
          {
            key: true,
          },
        );
      }
    }
    return value;
  }

  string(
    path: YamlPath,
    value: unknown,
    options: { pattern?: RegExp; patternHint?: string; maxLength?: number } = {},
  ): string | undefined {
    if (typeof value !== 'string') {
      this.error(path, `expected a string, got ${describe(value)}`);
      return undefined;
    }
    const maxLength = options.maxLength ?? 1000;
    if (value.length > maxLength) {
      this.error(path, `expected at most ${maxLength} characters, got ${value.length}`);
      return undefined;
    }
    if (options.pattern && !options.pattern.test(value)) {
      this.error(
        path,
        `expected ${options.patternHint ?? `a string matching ${options.pattern}`}, got ${JSON.stringify(value)}`,
      );
      return undefined;
    }
    return value;
  }

  requiredString(
    path: YamlPath,
    value: unknown,
    options: Parameters<FieldChecker['string']>[2] = {},
  ): string | undefined {
    if (value === undefined) {
      this.error(path, 'is required');
      return undefined;
    }
    const text = this.string(path, value, options);
    if (text !== undefined && text.trim() === '') {
      this.error(path, 'must not be empty');
      return undefined;
    }
    return text;
  }

  oneOf<T extends string>(path: YamlPath, value: unknown, allowed: readonly T[]): T | undefined {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    this.error(path, `expected one of ${allowed.join(', ')}, got ${describe(value)}`);
    return undefined;
  }

  positiveInteger(path: YamlPath, value: unknown, max: number): number | undefined {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
      this.error(path, `expected a whole number from 1 to ${max}, got ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  /** A list of strings; a single string is not silently promoted to a list. */
  stringList(
    path: YamlPath,
    value: unknown,
    options: Parameters<FieldChecker['string']>[2] = {},
  ): string[] | undefined {
    if (!Array.isArray(value)) {
      this.error(path, `expected a list of strings, got ${describe(value)}`);
      return undefined;
    }
    const out: string[] = [];
    value.forEach((item, index) => {
      const text = this.string([...path, index], item, options);
      if (text !== undefined) out.push(text);
    });
    return out.length === value.length ? out : undefined;
  }

  stringMap(path: YamlPath, value: unknown): Record<string, string> | undefined {
    if (!isPlainObject(value)) {
      this.error(path, `expected a mapping of strings to strings, got ${describe(value)}`);
      return undefined;
    }
    const out: Record<string, string> = {};
    let ok = true;
    for (const [key, item] of Object.entries(value)) {
      if (typeof item !== 'string') {
        this.error([...path, key], `expected a string, got ${describe(item)}`);
        ok = false;
      } else out[key] = item;
    }
    return ok ? out : undefined;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** A short description of a value for error messages, e.g. `a number (5)`, `a list`. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return `a date (${value.toISOString()})`;
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return `${typeof value === 'number' ? 'a number' : `a ${typeof value}`} (${String(value)})`;
}

/** The known key closest to a typo, if it is close enough to be what the author meant. */
function suggest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
