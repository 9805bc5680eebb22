/**
 * Issue 7's check: accurate-cross-entropy alone, at the research suite's run counts
 * and map grid, with its own 2-ulp budget. Every fuzz case and every map cell
 * should come out `ok`:
 *
 *     softmax-stability fuzz --suite accurate && softmax-stability map --suite accurate
 */
import { defineSuite } from 'softmax-stability';

export default defineSuite({
  name: 'accurate',
  seed: 1,
  pipelines: ['accurate-cross-entropy'],
  budgets: { 'accurate-cross-entropy': 2 },
  fuzz: { runs: { ordinal: 5000, offset: 5000, dominant: 5000, underdog: 5000, spread: 5000, ties: 2000, subnormal: 2000, vocab: 50, moderate: 5000 } },
  map: { offsets: 257, gaps: 129 },
});
