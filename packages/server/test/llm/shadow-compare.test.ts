import { describe, expect, it } from 'vitest';
import { textSimilarity, toolsDiffer } from '../../src/llm/shadow/compare.js';

describe('shadow comparison', () => {
  it('reads the same words in the same order as 1, nothing in common as 0', () => {
    expect(textSimilarity('The refund is approved.', 'the refund is APPROVED')).toBe(1);
    expect(textSimilarity('The refund is approved.', 'Shipping takes two days')).toBe(0);
    expect(textSimilarity('', '')).toBe(1);
    expect(textSimilarity('something', '')).toBe(0);
  });

  it('ranks a near answer above a reordered one above a different one', () => {
    const base = 'Your order 1042 ships tomorrow from Berlin';
    const near = textSimilarity(base, 'Your order 1042 ships tomorrow from Hamburg');
    const reordered = textSimilarity(base, 'from Berlin tomorrow ships 1042 order your');
    const different = textSimilarity(base, 'I cannot help with that request');
    expect(near).toBeGreaterThan(reordered);
    expect(reordered).toBeGreaterThan(different);
    expect(reordered).toBeLessThan(1);
  });

  it('is symmetric and stays within 0..1', () => {
    const pairs: [string, string][] = [
      ['a b c a b c', 'a b'],
      ['Zahlung über 700 €', 'zahlung 700'],
      ['call lookup_order({"order":77})', 'Order 77 shipped'],
    ];
    for (const [a, b] of pairs) {
      expect(textSimilarity(a, b)).toBe(textSimilarity(b, a));
      expect(textSimilarity(a, b)).toBeGreaterThanOrEqual(0);
      expect(textSimilarity(a, b)).toBeLessThanOrEqual(1);
    }
  });

  it('tells tool choices apart by name and order', () => {
    expect(toolsDiffer([], [])).toBe(false);
    expect(toolsDiffer(['lookup'], ['lookup'])).toBe(false);
    expect(toolsDiffer(['lookup'], [])).toBe(true);
    expect(toolsDiffer(['lookup', 'refund'], ['refund', 'lookup'])).toBe(true);
  });
});
