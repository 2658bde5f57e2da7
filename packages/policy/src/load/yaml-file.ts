import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from 'yaml';
import type { PolicyIssue } from '../issues.js';

export type YamlPath = readonly (string | number)[];

/** One YAML document of a file, with the means to point at any of its fields by line and column. */
export interface YamlDocument {
  readonly file: string;
  /** The document as plain JSON-like data. */
  readonly value: unknown;
  /** Where a field's value (or, with `key`, the key itself) starts; the document start if absent. */
  locate(path: YamlPath, key?: boolean): { line: number; column: number };
}

// Alias expansion is how a small YAML file becomes a huge value ("billion laughs"): keep it tiny.
const MAX_ALIAS_COUNT = 50;

/** Parses every document of a YAML file; syntax errors come back as issues naming line and column. */
export function parseYamlFile(
  file: string,
  text: string,
): { documents: YamlDocument[]; issues: PolicyIssue[] } {
  const lineCounter = new LineCounter();
  const issues: PolicyIssue[] = [];
  const documents: YamlDocument[] = [];
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        const at = position(error.pos[0]);
        issues.push({
          severity: 'error',
          file,
          ...at,
          field: '',
          message: `invalid YAML: ${firstLine(error.message)}`,
        });
      }
      continue;
    }
    // A `---` with nothing after it (a leading or trailing separator) is an empty document, not an error.
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      issues.push({
        severity: 'error',
        file,
        ...position(doc.range[0]),
        field: '',
        message: `invalid YAML: ${firstLine((error as Error).message)}`,
      });
      continue;
    }
    const contents = doc.contents;
    documents.push({
      file,
      value,
      locate(path, key = false) {
        const found = findNode(contents, path, key);
        return position(found?.range?.[0] ?? doc.range[0]);
      },
    });
  }
  return { documents, issues };
}

function findNode(root: Node | null, path: YamlPath, key: boolean): Node | null {
  let node: Node | null = root;
  let last: Node | null = root;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    if (node === null) return last;
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && item.key.value === segment,
      );
      if (!pair) return node; // a missing key: point at the mapping that should hold it
      const isLast = i === path.length - 1;
      const next = (isLast && key ? pair.key : pair.value) as Node | null;
      last = node;
      node = next ?? (pair.key as Node);
    } else if (isSeq(node) && typeof segment === 'number') {
      last = node;
      node = (node.items[segment] as Node | undefined) ?? null;
    } else {
      return node;
    }
  }
  return node ?? last;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
