import { describe, expect, it } from 'vitest';
import { insertChunks } from '../../src/storage/insert-chunks.js';

const rowsOf = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('insertChunks', () => {
  it('keeps every row once and in order, on both dialects', () => {
    for (const dialect of ['sqlite', 'postgres'] as const) {
      for (const n of [0, 1, 2, 3, 63, 64, 65, 127, 200, 1_001, 2_500]) {
        expect(insertChunks(dialect, rowsOf(n)).flat()).toEqual(rowsOf(n));
      }
    }
  });

  it('on SQLite, uses at most seven statement sizes whatever the batch sizes', () => {
    const sizes = new Set<number>();
    for (let n = 1; n <= 500; n++)
      for (const chunk of insertChunks('sqlite', rowsOf(n))) sizes.add(chunk.length);
    expect([...sizes].sort((a, b) => a - b)).toEqual([1, 2, 4, 8, 16, 32, 64]);
    // Largest first, then the powers of two the remainder is made of.
    expect(insertChunks('sqlite', rowsOf(200)).map((c) => c.length)).toEqual([64, 64, 64, 8]);
    expect(insertChunks('sqlite', rowsOf(15)).map((c) => c.length)).toEqual([8, 4, 2, 1]);
  });

  it('on PostgreSQL, sends a batch in as few statements as the parameter bound allows', () => {
    expect(insertChunks('postgres', rowsOf(200)).map((c) => c.length)).toEqual([200]);
    expect(insertChunks('postgres', rowsOf(2_500)).map((c) => c.length)).toEqual([1_000, 1_000, 500]);
  });
});
