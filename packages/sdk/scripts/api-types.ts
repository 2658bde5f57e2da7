/**
 * Generates `src/generated/api.ts`, the SDK's request and response types, from the server's OpenAPI
 * document (`GET /openapi.json`, which Fastify's swagger plugin builds from each route's TypeBox
 * schemas). The SDK stays free of the server and of TypeBox; the document is the contract, as it is
 * for clients in other languages. `test/api-types.test.ts` fails when the committed output is stale.
 *
 *   npm run generate:sdk-types
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The slice of JSON Schema the server's documents use. */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly items?: JsonSchema;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly description?: string;
}

interface Operation {
  readonly requestBody?: { readonly content: Record<string, { readonly schema: JsonSchema }> };
  readonly responses: Record<string, { readonly content?: Record<string, { readonly schema: JsonSchema }> }>;
}

export interface OpenApiDocument {
  readonly paths: Record<string, Record<string, Operation>>;
}

/** Each generated type: its name, where it comes from in the document, and what it is for. */
const TYPES: readonly {
  readonly name: string;
  readonly path: string;
  readonly method: string;
  readonly part: 'body' | '200' | '201' | '400';
  readonly doc: string;
}[] = [
  { name: 'DecideRequest', path: '/v1/decide', method: 'post', part: 'body', doc: 'POST /v1/decide body.' },
  { name: 'Decision', path: '/v1/decide', method: 'post', part: '200', doc: 'POST /v1/decide answer.' },
  {
    name: 'OutcomeRequest',
    path: '/v1/decisions/{id}/outcome',
    method: 'post',
    part: 'body',
    doc: 'POST /v1/decisions/:id/outcome body.',
  },
  {
    name: 'OutcomeRecorded',
    path: '/v1/decisions/{id}/outcome',
    method: 'post',
    part: '200',
    doc: 'POST /v1/decisions/:id/outcome answer.',
  },
  {
    name: 'ApprovalWait',
    path: '/v1/approvals/{id}/wait',
    method: 'get',
    part: '200',
    doc: 'GET /v1/approvals/:id/wait answer (its `approval` is also what /events sends).',
  },
  {
    name: 'AccessRequestBody',
    path: '/v1/access-requests',
    method: 'post',
    part: 'body',
    doc: 'POST /v1/access-requests body.',
  },
  {
    name: 'AccessRequestCreated',
    path: '/v1/access-requests',
    method: 'post',
    part: '201',
    doc: 'POST /v1/access-requests answer.',
  },
  {
    name: 'SpawnRequest',
    path: '/v1/agents/spawn',
    method: 'post',
    part: 'body',
    doc: 'POST /v1/agents/spawn body.',
  },
  {
    name: 'SpawnedAgent',
    path: '/v1/agents/spawn',
    method: 'post',
    part: '201',
    doc: 'POST /v1/agents/spawn answer.',
  },
  { name: 'ErrorEnvelope', path: '/v1/decide', method: 'post', part: '400', doc: 'Every error answer.' },
];

function schemaOf(doc: OpenApiDocument, entry: (typeof TYPES)[number]): JsonSchema {
  const operation = doc.paths[entry.path]?.[entry.method];
  if (!operation) throw new Error(`the OpenAPI document has no ${entry.method.toUpperCase()} ${entry.path}`);
  const content =
    entry.part === 'body' ? operation.requestBody?.content : operation.responses[entry.part]?.content;
  const schema = content?.['application/json']?.schema;
  if (!schema)
    throw new Error(`${entry.method.toUpperCase()} ${entry.path} has no JSON ${entry.part} schema`);
  return schema;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A TypeScript type for a schema, indented for `depth`. */
export function typeOf(schema: JsonSchema, depth = 0): string {
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return union(variants.map((v) => typeOf(v, depth)));
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return union(schema.enum.map((v) => JSON.stringify(v)));
  const type = schema.type;
  if (Array.isArray(type)) return union(type.map((t) => typeOf({ ...schema, type: t }, depth)));
  switch (type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return `Array<${schema.items ? typeOf(schema.items, depth) : 'unknown'}>`;
    case 'object':
      return objectType(schema, depth);
    default:
      // `{}` (any JSON value) and anything the document leaves open.
      return schema.properties ? objectType(schema, depth) : 'unknown';
  }
}

function objectType(schema: JsonSchema, depth: number): string {
  const properties = Object.entries(schema.properties ?? {});
  const extra = schema.additionalProperties;
  const rest =
    extra === undefined || extra === true
      ? 'unknown'
      : extra === false
        ? undefined
        : typeOf(extra, depth + 1);
  if (properties.length === 0) return `Record<string, ${rest ?? 'never'}>`;
  const pad = '  '.repeat(depth + 1);
  const required = new Set(schema.required ?? []);
  const lines = properties.map(([key, value]) => {
    const name = IDENTIFIER.test(key) ? key : JSON.stringify(key);
    const comment = value.description ? `${pad}/** ${value.description} */\n` : '';
    return `${comment}${pad}${name}${required.has(key) ? '' : '?'}: ${typeOf(value, depth + 1)};`;
  });
  // A closed object lists its fields; an open one (the server's responses) may grow new ones.
  if (rest !== undefined && extra !== undefined) lines.push(`${pad}[key: string]: ${rest};`);
  return `{\n${lines.join('\n')}\n${'  '.repeat(depth)}}`;
}

function union(types: readonly string[]): string {
  return [...new Set(types)].join(' | ');
}

/** The generated module's text for a document. */
export function renderApiTypes(doc: OpenApiDocument): string {
  const parts = TYPES.map(
    (entry) => `/** ${entry.doc} */\nexport type ${entry.name} = ${typeOf(schemaOf(doc, entry))};\n`,
  );
  return [
    "// Generated by packages/sdk/scripts/api-types.ts from the server's OpenAPI document. Do not edit:",
    '// run `npm run generate:sdk-types` (test/api-types.test.ts fails when this file is stale).',
    '',
    ...parts,
  ].join('\n');
}

export const GENERATED_FILE = fileURLToPath(new URL('../src/generated/api.ts', import.meta.url));

/** The document of a node built from this checkout: started on a temporary SQLite file, never listening. */
export async function loadOpenApiDocument(): Promise<OpenApiDocument> {
  const { createNode, loadConfig } = await import('@warden/server');
  const dataDir = await mkdtemp(join(tmpdir(), 'warden-sdk-types-'));
  try {
    const config = loadConfig({
      overrides: {
        databaseUrl: `sqlite:${join(dataDir, 'warden.db')}`,
        dataDir,
        port: 0,
        logLevel: 'silent',
        sqliteSynchronous: 'normal',
      },
    });
    const node = await createNode(config, { signalNamespace: dataDir });
    try {
      const res = await node.app.inject({ method: 'GET', url: '/openapi.json' });
      if (res.statusCode !== 200) throw new Error(`GET /openapi.json answered ${res.statusCode}`);
      return res.json<OpenApiDocument>();
    } finally {
      await node.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = renderApiTypes(await loadOpenApiDocument());
  await writeFile(GENERATED_FILE, text);
  console.log(`wrote ${GENERATED_FILE}`);
}
