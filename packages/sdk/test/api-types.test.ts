import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { GENERATED_FILE, loadOpenApiDocument, renderApiTypes, typeOf } from '../scripts/api-types.js';

describe('the SDK types generated from the server OpenAPI document', () => {
  it('are up to date (run `npm run generate:sdk-types` when this fails)', { timeout: 60_000 }, async () => {
    const expected = renderApiTypes(await loadOpenApiDocument());
    const committed = await readFile(GENERATED_FILE, 'utf8');
    expect(committed, 'src/generated/api.ts is stale: run `npm run generate:sdk-types`').toBe(expected);
  });

  it('turns the schema shapes the server uses into TypeScript', () => {
    expect(
      typeOf({
        anyOf: [
          { type: 'string', enum: ['allow'] },
          { type: 'string', enum: ['deny'] },
        ],
      }),
    ).toBe('"allow" | "deny"');
    expect(typeOf({ anyOf: [{ type: 'string' }, { type: 'null' }] })).toBe('string | null');
    expect(typeOf({ type: 'array', items: { type: 'integer' } })).toBe('Array<number>');
    expect(typeOf({})).toBe('unknown');
    expect(typeOf({ type: 'object', additionalProperties: { type: 'number' } })).toBe(
      'Record<string, number>',
    );
    expect(
      typeOf({
        type: 'object',
        required: ['a'],
        properties: { a: { type: 'boolean' }, 'b-c': { type: 'string' } },
        additionalProperties: false,
      }),
    ).toBe('{\n  a: boolean;\n  "b-c"?: string;\n}');
  });
});
