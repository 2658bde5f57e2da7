export type PathSegment =
  | { readonly kind: 'child'; readonly key: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'wildcard' }
  | { readonly kind: 'descendant'; readonly key: string };

/** A parsed path: the steps from the root to the values it selects. */
export type JsonPath = readonly PathSegment[];

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const INDEX = /0|[1-9][0-9]*/y;

/**
 * Parses the small JSON path dialect used to name values to redact:
 *
 * - `$` the root, then one or more of:
 * - `.name` or `['any key']` / `["any key"]` a member (quotes allow any key; `\` escapes a quote or `\`)
 * - `.*` or `[*]` every member of an object or element of an array
 * - `[2]` one element of an array
 * - `..name` or `..['any key']` a member with that key at any depth below
 *
 * e.g. `$.user.password`, `$.items[*].card`, `$..token`, `$['x-api-key']`, `$.rows[0]['e-mail']`.
 * Throws an Error naming the path and the position of the first problem.
 */
export function compileJsonPath(path: string): JsonPath {
  return new PathParser(path).parse();
}

class PathParser {
  #position = 0;

  constructor(private readonly path: string) {}

  parse(): PathSegment[] {
    if (this.path[0] !== '$') this.fail('must start with "$"');
    this.#position = 1;
    const segments: PathSegment[] = [];
    while (this.#position < this.path.length) segments.push(this.segment());
    if (segments.length === 0) this.fail('selects the whole value; name something below "$"');
    return segments;
  }

  private segment(): PathSegment {
    if (this.path.startsWith('..', this.#position)) {
      this.#position += 2;
      const key = this.path[this.#position] === '[' ? this.bracketedKey() : this.name();
      return { kind: 'descendant', key };
    }
    if (this.path[this.#position] === '.') {
      this.#position++;
      if (this.path[this.#position] === '*') {
        this.#position++;
        return { kind: 'wildcard' };
      }
      return { kind: 'child', key: this.name() };
    }
    if (this.path[this.#position] === '[') return this.bracket();
    return this.fail('expected ".", ".." or "["');
  }

  private bracket(): PathSegment {
    const next = this.path[this.#position + 1];
    if (next === '*') {
      this.#position += 2;
      this.expect(']');
      return { kind: 'wildcard' };
    }
    if (next === "'" || next === '"') return { kind: 'child', key: this.bracketedKey() };
    this.#position++;
    const index = this.match(INDEX, 'expected a quoted key, "*" or an array index');
    this.expect(']');
    return { kind: 'index', index: Number(index) };
  }

  private bracketedKey(): string {
    this.expect('[');
    const quote = this.path[this.#position];
    if (quote !== "'" && quote !== '"') return this.fail('expected a quoted key');
    this.#position++;
    let key = '';
    for (;;) {
      const char = this.path[this.#position++];
      if (char === undefined) return this.fail('unterminated quoted key');
      if (char === quote) break;
      if (char === '\\') {
        const escaped = this.path[this.#position++];
        if (escaped !== quote && escaped !== '\\') return this.fail('only a quote or "\\" can be escaped');
        key += escaped;
      } else {
        key += char;
      }
    }
    this.expect(']');
    return key;
  }

  private name(): string {
    return this.match(NAME, 'expected a name (letters, digits, "_"; quote other keys as [\'...\'])');
  }

  private match(pattern: RegExp, problem: string): string {
    pattern.lastIndex = this.#position;
    const found = pattern.exec(this.path);
    if (found === null) return this.fail(problem);
    this.#position += found[0].length;
    return found[0];
  }

  private expect(char: string): void {
    if (this.path[this.#position] !== char) this.fail(`expected "${char}"`);
    this.#position++;
  }

  private fail(problem: string): never {
    throw new Error(
      `invalid redaction path ${JSON.stringify(this.path)}: ${problem} at position ${this.#position}`,
    );
  }
}
