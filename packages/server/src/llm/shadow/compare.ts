/**
 * How close two answers are, for the shadow report: the cosine similarity of their words and word
 * pairs (lower-cased, punctuation dropped), from 0 (nothing in common) to 1 (the same words in the
 * same order). Cheap and deterministic, it tells "says the same" from "says something else"; it is
 * no judge of which answer is better. Two empty answers (both only called tools) are the same.
 */
export function textSimilarity(a: string, b: string): number {
  const left = termCounts(a);
  const right = termCounts(b);
  if (left.size === 0 && right.size === 0) return 1;
  if (left.size === 0 || right.size === 0) return 0;
  let dot = 0;
  for (const [term, count] of left) dot += count * (right.get(term) ?? 0);
  const similarity = dot / (norm(left) * norm(right));
  // Rounded so the same pair of texts reads the same on every node and in every report.
  return Math.round(Math.min(1, similarity) * 10_000) / 10_000;
}

/** Whether the two models chose different tools: other names, or the same in another order. */
export function toolsDiffer(a: readonly string[], b: readonly string[]): boolean {
  return a.length !== b.length || a.some((name, i) => name !== b[i]);
}

function termCounts(text: string): Map<string, number> {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const counts = new Map<string, number>();
  const add = (term: string) => counts.set(term, (counts.get(term) ?? 0) + 1);
  words.forEach((word, i) => {
    add(word);
    if (i > 0) add(`${words[i - 1]} ${word}`);
  });
  return counts;
}

function norm(counts: Map<string, number>): number {
  let sum = 0;
  for (const count of counts.values()) sum += count * count;
  return Math.sqrt(sum);
}
