import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { canonicalJson } from '../canonical-json.js';
import { compileBundle, type PolicyBundle } from '../compile/compile-bundle.js';
import { createCelEngine } from '../conditions/cel-engine.js';
import type { ConditionEngine } from '../conditions/condition-engine.js';
import type { PolicyIssue } from '../issues.js';
import type { PolicyDocument, SignalsDocument, ToolCatalog } from '../model.js';
import { MAX_SIGNALS, type SignalDeclaration } from '../signals/signals.js';
import { FieldChecker } from './field-checker.js';
import { API_VERSION, readDocument } from './policy-schema.js';
import { parseYamlFile } from './yaml-file.js';

export const MAX_FILE_BYTES = 1024 * 1024;
export const MAX_BUNDLE_RULES = 10_000;
const MAX_FILES = 2_000;

export interface SourceFile {
  /** Path relative to the bundle directory, with `/` separators. */
  readonly path: string;
  readonly text: string;
}

export type LoadResult =
  | { readonly ok: true; readonly bundle: PolicyBundle }
  | { readonly ok: false; readonly issues: readonly PolicyIssue[] };

export interface LoadOptions {
  /** Defaults to a shared CEL engine. */
  readonly engine?: ConditionEngine;
}

let sharedEngine: ConditionEngine | undefined;
function defaultEngine(): ConditionEngine {
  sharedEngine ??= createCelEngine();
  return sharedEngine;
}

/** Policy files are YAML; `*.test.yaml` beside them are policy tests, not part of the bundle. */
export function isPolicyFile(name: string): boolean {
  return /\.ya?ml$/.test(name) && !isPolicyTestFile(name);
}

export function isPolicyTestFile(name: string): boolean {
  return /\.test\.ya?ml$/.test(name);
}

/**
 * Loads a bundle from file contents. All or nothing: one bad document rejects the whole bundle, and
 * the issues list every error found, each naming file, line and field.
 */
export function loadBundleFromFiles(files: readonly SourceFile[], options: LoadOptions = {}): LoadResult {
  const issues: PolicyIssue[] = [];
  const policies: PolicyDocument[] = [];
  const catalogs: ToolCatalog[] = [];
  const signalDocuments: SignalsDocument[] = [];
  const raws: { kind: string; name: string; value: unknown }[] = [];
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const file of sorted) {
    if (Buffer.byteLength(file.text) > MAX_FILE_BYTES) {
      issues.push(fileIssue(file.path, `file is larger than ${MAX_FILE_BYTES} bytes (1 MiB); split it`));
      continue;
    }
    const parsed = parseYamlFile(file.path, file.text);
    issues.push(...parsed.issues);
    for (const doc of parsed.documents) {
      const checker = new FieldChecker(doc);
      const loaded = readDocument(doc, checker);
      issues.push(...checker.issues);
      if (!loaded) continue;
      if (loaded.kind === 'catalog') catalogs.push(loaded.catalog);
      else if (loaded.kind === 'signals') {
        // Declared signals change decisions, so they are part of the version like policies.
        signalDocuments.push(loaded.signals);
        raws.push({ kind: 'Signals', name: loaded.signals.name, value: loaded.raw });
      } else {
        policies.push(loaded.policy);
        raws.push({ kind: loaded.policy.kind, name: loaded.policy.metadata.name, value: loaded.raw });
      }
    }
  }
  issues.push(...checkBundleWide(policies));
  const signals = declaredSignals(signalDocuments, issues);
  if (issues.some((issue) => issue.severity === 'error')) return { ok: false, issues };
  if (policies.length === 0) {
    return { ok: false, issues: [fileIssue('.', 'the bundle holds no Policy or Guardrail document')] };
  }
  const compiled = compileBundle(
    bundleVersion(raws),
    policies,
    catalogs,
    options.engine ?? defaultEngine(),
    signals,
  );
  if (!compiled.bundle) return { ok: false, issues: compiled.issues };
  return { ok: true, bundle: compiled.bundle };
}

/** Reads every policy file under `dir` (recursively, skipping hidden entries) and loads the bundle. */
export async function loadBundle(dir: string, options: LoadOptions = {}): Promise<LoadResult> {
  const read = await readBundleFiles(dir);
  if (!read.ok) return read;
  const result = loadBundleFromFiles(read.files, options);
  if (read.issues.length === 0) return result;
  return { ok: false, issues: [...read.issues, ...(result.ok ? [] : result.issues)] };
}

/**
 * The sources of the bundle in `dir`, for callers that keep them (the server stores each version's
 * sources). Files that cannot be used are issues, and are left out of `files`.
 */
export async function readBundleFiles(
  dir: string,
): Promise<{ ok: true; files: SourceFile[]; issues: PolicyIssue[] } | { ok: false; issues: PolicyIssue[] }> {
  const listed = await listFiles(dir, isPolicyFile);
  if (!listed.ok) return { ok: false, issues: [fileIssue(dir, listed.message)] };
  const files: SourceFile[] = [];
  const issues: PolicyIssue[] = [];
  for (const path of listed.paths) {
    const name = toBundlePath(dir, path);
    const size = (await stat(path)).size;
    if (size > MAX_FILE_BYTES) {
      issues.push(fileIssue(name, `file is larger than ${MAX_FILE_BYTES} bytes (1 MiB); split it`));
      continue;
    }
    files.push({ path: name, text: await readFile(path, 'utf8') });
  }
  return { ok: true, files, issues };
}

/** Lists files under a directory that satisfy `wanted`, sorted; symlinked files are followed (config maps). */
export async function listFiles(
  dir: string,
  wanted: (name: string) => boolean,
): Promise<{ ok: true; paths: string[] } | { ok: false; message: string }> {
  const paths: string[] = [];
  try {
    if (!(await stat(dir)).isDirectory()) return { ok: false, message: 'is not a directory' };
    const walk = async (current: string): Promise<void> => {
      const entries = await readdir(current, { withFileTypes: true });
      for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
        const path = join(current, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if ((entry.isFile() || entry.isSymbolicLink()) && wanted(entry.name)) {
          if (entry.isSymbolicLink() && !(await stat(path)).isFile()) continue;
          paths.push(path);
          if (paths.length > MAX_FILES) throw new Error(`more than ${MAX_FILES} files`);
        }
      }
    };
    await walk(dir);
  } catch (error) {
    return { ok: false, message: `cannot read the bundle: ${(error as Error).message}` };
  }
  return { ok: true, paths };
}

export function toBundlePath(dir: string, path: string): string {
  return relative(dir, path).split(sep).join('/');
}

function checkBundleWide(policies: readonly PolicyDocument[]): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const names = new Map<string, PolicyDocument>();
  const ruleIds = new Map<string, PolicyDocument>();
  let ruleCount = 0;
  for (const policy of policies) {
    const key = `${policy.kind}/${policy.metadata.name}`;
    const first = names.get(key);
    if (first) {
      issues.push({
        severity: 'error',
        ...policy.source,
        column: 1,
        field: 'metadata.name',
        message: `${policy.kind} '${policy.metadata.name}' is also defined in ${first.source.file}:${first.source.line}`,
      });
    } else names.set(key, policy);
    policy.rules.forEach((rule, index) => {
      ruleCount++;
      const other = ruleIds.get(rule.id);
      if (other) {
        issues.push({
          severity: 'error',
          ...rule.source,
          column: 1,
          field: `spec.rules[${index}].id`,
          rule: rule.id,
          message: `duplicate rule id '${rule.id}': also used in ${other.kind} '${other.metadata.name}' (${other.source.file}); rule ids must be unique in the bundle`,
        });
      } else ruleIds.set(rule.id, policy);
    });
  }
  if (ruleCount > MAX_BUNDLE_RULES) {
    issues.push(
      fileIssue('.', `the bundle holds ${ruleCount} rules; at most ${MAX_BUNDLE_RULES} are allowed`),
    );
  }
  return issues;
}

/**
 * Every signal the bundle's Signals documents declare. A bundle may split them over several
 * documents, but declares each signal once, and no Signals document name twice.
 */
function declaredSignals(documents: readonly SignalsDocument[], issues: PolicyIssue[]): SignalDeclaration[] {
  const names = new Map<string, SignalsDocument>();
  const declared = new Map<string, SignalDeclaration>();
  for (const document of documents) {
    const first = names.get(document.name);
    if (first) {
      issues.push({
        severity: 'error',
        ...document.source,
        column: 1,
        field: 'metadata.name',
        message: `Signals '${document.name}' is also defined in ${first.source.file}:${first.source.line}`,
      });
    } else names.set(document.name, document);
    for (const signal of document.signals) {
      const other = declared.get(signal.name);
      if (other) {
        issues.push({
          severity: 'error',
          ...signal.source,
          column: 1,
          field: `spec.signals.${signal.name}`,
          message: `signal '${signal.name}' is also declared in ${other.source.file}:${other.source.line}`,
        });
      } else declared.set(signal.name, signal);
    }
  }
  if (declared.size > MAX_SIGNALS) {
    issues.push(
      fileIssue('.', `the bundle declares ${declared.size} signals; at most ${MAX_SIGNALS} are allowed`),
    );
  }
  return [...declared.values()];
}

/** The version is a hash of content, not of formatting: comments and key order do not change it. */
function bundleVersion(documents: readonly { kind: string; name: string; value: unknown }[]): string {
  const ordered = [...documents].sort((a, b) => {
    const x = `${a.kind}/${a.name}`;
    const y = `${b.kind}/${b.name}`;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const content = canonicalJson({ apiVersion: API_VERSION, documents: ordered.map((d) => d.value) });
  return createHash('sha256').update(content).digest('hex');
}

function fileIssue(file: string, message: string): PolicyIssue {
  return { severity: 'error', file, line: 0, column: 0, field: '', message };
}
