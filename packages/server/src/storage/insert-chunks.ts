import type { Dialect } from './database.js';

/** Rows per statement on PostgreSQL: well inside its 65,535 bound parameters for our widest table. */
const POSTGRES_CHUNK = 1_000;
/** The largest chunk on SQLite; the others are the powers of two below it. */
const SQLITE_CHUNK = 64;

/**
 * Splits the rows of a multi-row INSERT into the statements to run, in order. A multi-row
 * statement's SQL text depends on its row count, and on SQLite every text is prepared and kept
 * (preparing costs more than running our small statements); a prepared statement takes about 2 KB
 * of native memory per row it binds. So on SQLite the chunks are 64 rows and then the powers of two
 * the remainder is made of (200 rows: 64, 64, 64, 8), and a table sees at most seven texts whatever
 * the group commit's batch sizes. PostgreSQL prepares nothing here, so fewer round trips win there.
 */
export function insertChunks<T>(dialect: Dialect, rows: readonly T[]): (readonly T[])[] {
  const chunks: (readonly T[])[] = [];
  if (dialect === 'postgres') {
    for (let i = 0; i < rows.length; i += POSTGRES_CHUNK) chunks.push(rows.slice(i, i + POSTGRES_CHUNK));
    return chunks;
  }
  let start = 0;
  let size = SQLITE_CHUNK;
  while (start < rows.length) {
    while (size > rows.length - start) size >>= 1;
    chunks.push(size === rows.length ? rows : rows.slice(start, start + size));
    start += size;
  }
  return chunks;
}
