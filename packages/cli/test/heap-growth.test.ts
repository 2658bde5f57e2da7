import { describe, expect, it } from 'vitest';
import { capHeapGrowth } from '../src/commands/heap-growth.js';

describe('capHeapGrowth', () => {
  it('sets the cap when the operator set none', () => {
    expect(capHeapGrowth([], undefined)).toBe(true);
    expect(capHeapGrowth(['--enable-source-maps'], '--max-semi-space-size=4')).toBe(true);
  });

  it("leaves the operator's own setting, on the command line or in NODE_OPTIONS", () => {
    expect(capHeapGrowth(['--heap-growing-percent=50'], undefined)).toBe(false);
    expect(capHeapGrowth([], '--max-semi-space-size=4 --heap_growing_percent=50')).toBe(false);
  });
});
