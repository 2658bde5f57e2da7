import { type Compilable, CompiledQuery, type Kysely, type QueryResult } from 'kysely';
import type { Dialect } from './database.js';
import { insertChunks } from './insert-chunks.js';
import type { Database } from './schema.js';

/**
 * Fixed-shape statements of the decide path, built and compiled by Kysely once per dialect instead of
 * on every call. Kysely's typed builder stays the way they are written; what is skipped is building the
 * query tree and compiling it to SQL, which costs more than running the small statement on SQLite
 * (about a sixth of the busy decide path, by profile). Each parameter is a placeholder that `param`
 * hands to the builder; compiling finds where each landed, and a call binds its values there.
 */

type Executor = Kysely<Database>;
type Param = <K extends string>(name: K) => never;

/** Where each bound value of a compiled statement comes from: a named parameter or a constant. */
type Binding = { readonly name: string } | { readonly value: unknown };

interface Compiled {
  readonly sql: string;
  readonly bindings: readonly Binding[];
}

const PLACEHOLDER = '\u0000warden-param:';

function compile(query: Compilable<unknown>): Compiled {
  const { sql, parameters } = query.compile();
  const bindings = parameters.map((value): Binding => {
    if (typeof value === 'string' && value.startsWith(PLACEHOLDER))
      return { name: value.slice(PLACEHOLDER.length) };
    return { value };
  });
  return { sql, bindings };
}

const placeholder: Param = (name) => `${PLACEHOLDER}${name}` as never;

function bind(compiled: Compiled, values: Readonly<Record<string, unknown>>): unknown[] {
  return compiled.bindings.map((b) => {
    if ('value' in b) return b.value;
    const value = values[b.name];
    if (value === undefined) throw new Error(`compiled query: no value for parameter ${b.name}`);
    return value;
  });
}

/**
 * A statement whose shape is fixed: `build` writes it with `param('name')` wherever a value goes, and
 * the returned function runs it with the named values. Constants the builder writes stay as they are.
 */
export function compiledQuery<Params extends Record<string, unknown>, Row>(
  build: (db: Executor, param: Param, dialect: Dialect) => Compilable<Row>,
): (db: Executor, dialect: Dialect, params: Params) => Promise<QueryResult<Row>> {
  const byDialect = new Map<Dialect, Compiled>();
  return async (db, dialect, params) => {
    let compiled = byDialect.get(dialect);
    if (!compiled) {
      compiled = compile(build(db, placeholder, dialect));
      byDialect.set(dialect, compiled);
    }
    return db.executeQuery<Row>(CompiledQuery.raw(compiled.sql, bind(compiled, params)));
  };
}

type Missing<Row, Columns extends readonly PropertyKey[]> = Exclude<keyof Row, Columns[number]>;

/**
 * Every column of a table, checked by the compiler: leaving one out is a type error naming it (an
 * insert of the columns listed would silently drop the value of a column not listed).
 */
export function allColumns<Row>() {
  return <const Columns extends readonly (keyof Row & string)[]>(
    columns: Columns &
      ([Missing<Row, Columns>] extends [never] ? unknown : { missing: Missing<Row, Columns> }),
  ): Columns => columns;
}

/**
 * A multi-row INSERT (or upsert) of `columns`, compiled once per dialect and row count: `build` gets
 * the rows to pass to `values()`. Rows go in `insertChunks`' chunks, so a table sees few row counts.
 * A column a row lacks is bound as NULL. Resolves to the rows the statements return, if any.
 */
export function compiledInsert<Row extends object, Out = unknown>(
  columns: readonly (keyof Row & string)[],
  build: (db: Executor, rows: Row[]) => Compilable<Out>,
): (db: Executor, dialect: Dialect, rows: readonly Row[]) => Promise<Out[]> {
  const compiledBy = new Map<string, { sql: string; slots: readonly (readonly [number, string])[] }>();
  const statementFor = (db: Executor, dialect: Dialect, count: number) => {
    const key = `${dialect}:${count}`;
    let statement = compiledBy.get(key);
    if (!statement) {
      const rows = Array.from(
        { length: count },
        (_, i) => Object.fromEntries(columns.map((c) => [c, placeholder(`${i}:${c}`)])) as Row,
      );
      const { sql, bindings } = compile(build(db, rows));
      const slots = bindings.map((b) => {
        if (!('name' in b)) throw new Error('compiled insert: only row values may be bound');
        const [row, column] = b.name.split(':') as [string, string];
        return [Number(row), column] as const;
      });
      statement = { sql, slots };
      compiledBy.set(key, statement);
    }
    return statement;
  };
  return async (db, dialect, rows) => {
    const returned: Out[] = [];
    for (const chunk of insertChunks(dialect, rows)) {
      const { sql, slots } = statementFor(db, dialect, chunk.length);
      const values = slots.map(([i, column]) => (chunk[i] as Record<string, unknown>)[column] ?? null);
      const result = await db.executeQuery<Out>(CompiledQuery.raw(sql, values));
      for (const row of result.rows) returned.push(row);
    }
    return returned;
  };
}
