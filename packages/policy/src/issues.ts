/** A problem found while loading, type-checking or linting policies, located in its file. */
export interface PolicyIssue {
  readonly severity: 'error' | 'warning';
  /** Path of the file relative to the bundle directory. */
  readonly file: string;
  /** 1-based; 0 when the issue concerns the file or bundle as a whole. */
  readonly line: number;
  readonly column: number;
  /** Dotted path of the offending field, e.g. `spec.rules[2].effect`; empty for the whole file. */
  readonly field: string;
  readonly message: string;
  /** Id of the rule the issue concerns, when it concerns one. */
  readonly rule?: string;
}

export function formatIssue(issue: PolicyIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : issue.file;
  const field = issue.field ? ` ${issue.field}:` : '';
  return `${where}: ${issue.severity}:${field} ${issue.message}`;
}

/** Renders a field path the way users read it: `spec.rules[2].when`. */
export function fieldPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}
