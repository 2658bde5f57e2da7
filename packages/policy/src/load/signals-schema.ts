import type { SignalsDocument } from '../model.js';
import {
  MAX_SIGNAL_STRING,
  MAX_SIGNALS,
  SIGNAL_NAME,
  SIGNAL_TYPES,
  type SignalDeclaration,
  type SignalValue,
  valueProblem,
} from '../signals/signals.js';
import { describe, type FieldChecker, isPlainObject } from './field-checker.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const NAME_HINT = 'a name of letters, digits, ".", "_" or "-" (starting with a letter or digit)';
const SIGNAL_HINT = 'a signal name of letters, digits and "_" (starting with a letter or "_", at most 64)';

/**
 * Reads a `kind: Signals` document: the agent signals the bundle's conditions may read.
 *
 *     spec:
 *       signals:
 *         confidence: { type: number, default: 1 }
 *         channel: { type: string, maxLength: 32 }
 */
export function readSignalsDocument(
  checker: FieldChecker,
  root: Record<string, unknown>,
  source: SignalsDocument['source'],
): SignalsDocument | undefined {
  const meta = checker.object(['metadata'], root.metadata ?? {}, ['name', 'description', 'owner', 'labels']);
  const name = checker.requiredString(['metadata', 'name'], meta?.name, {
    pattern: NAME,
    patternHint: NAME_HINT,
  });
  if (meta?.description !== undefined)
    checker.string(['metadata', 'description'], meta.description, { maxLength: 2000 });
  if (meta?.owner !== undefined) checker.string(['metadata', 'owner'], meta.owner, { maxLength: 200 });
  if (meta?.labels !== undefined) checker.stringMap(['metadata', 'labels'], meta.labels);
  const spec = checker.object(['spec'], root.spec, ['signals']);
  if (!spec) return undefined;
  if (!isPlainObject(spec.signals) || Object.keys(spec.signals).length === 0) {
    checker.error(['spec', 'signals'], 'expected a non-empty mapping of signal names to {type, default?}');
    return undefined;
  }
  const entries = Object.entries(spec.signals);
  if (entries.length > MAX_SIGNALS) {
    checker.error(
      ['spec', 'signals'],
      `declares ${entries.length} signals; at most ${MAX_SIGNALS} are allowed`,
    );
    return undefined;
  }
  const signals: SignalDeclaration[] = [];
  for (const [signal, value] of entries) {
    const declaration = readDeclaration(checker, ['spec', 'signals', signal], signal, value, source.file);
    if (declaration) signals.push(declaration);
  }
  if (!name || signals.length !== entries.length) return undefined;
  return { name, signals, source };
}

function readDeclaration(
  checker: FieldChecker,
  path: (string | number)[],
  name: string,
  value: unknown,
  file: string,
): SignalDeclaration | undefined {
  if (!SIGNAL_NAME.test(name)) {
    checker.error(path, `expected ${SIGNAL_HINT}, got ${JSON.stringify(name)}`, { key: true });
    return undefined;
  }
  if (name in Object.prototype) {
    checker.error(path, `'${name}' is reserved; choose another signal name`, { key: true });
    return undefined;
  }
  const raw = checker.object(path, value, ['type', 'default', 'maxLength', 'description']);
  if (!raw) return undefined;
  const type = checker.oneOf([...path, 'type'], raw.type, SIGNAL_TYPES);
  let maxLength: number | undefined;
  if (raw.maxLength !== undefined) {
    if (type !== 'string') checker.error([...path, 'maxLength'], 'only applies to string signals');
    else maxLength = checker.positiveInteger([...path, 'maxLength'], raw.maxLength, MAX_SIGNAL_STRING);
  }
  const description =
    raw.description === undefined
      ? ''
      : checker.string([...path, 'description'], raw.description, { maxLength: 2000 });
  if (!type || description === undefined || (raw.maxLength !== undefined && maxLength === undefined))
    return undefined;
  const declaration: SignalDeclaration = {
    name,
    type,
    ...(maxLength === undefined ? {} : { maxLength }),
    description,
    source: { file, line: checker.doc.locate(path).line },
  };
  if (raw.default === undefined) return declaration;
  const problem = valueProblem(declaration, raw.default);
  if (problem) {
    checker.error([...path, 'default'], `${problem.replace(/got .*$/, `got ${describe(raw.default)}`)}`);
    return undefined;
  }
  return { ...declaration, default: raw.default as SignalValue };
}
