/**
 * Issues 7 and 14's check: accurate-cross-entropy alone, at the research suite's fuzz
 * run counts, formats and map grid, with its own 2-ulp budget, losses and gradients.
 * Every fuzz case and every map cell should come out `ok` (in `fuzz.csv`, the `loss`
 * and `grad` rows' `max_ulp` ≤ 2):
 *
 *     softmax-stability fuzz --suite accurate && softmax-stability map --suite accurate
 *
 * The run counts, dtypes and seed are the research suite's (src/suite/suite.test.ts
 * checks that they stay equal), so this is "every case of the research suite's fuzz
 * run" for this pipeline.
 */
import { defineSuite } from 'softmax-stability';

export default defineSuite({
  name: 'accurate',
  seed: 1,
  pipelines: ['accurate-cross-entropy'],
  dtypes: ['float32', 'float64', 'float16', 'bfloat16'],
  budgets: { 'accurate-cross-entropy': 2 },
  fuzz: { runs: { ordinal: 5000, offset: 5000, dominant: 5000, underdog: 5000, spread: 5000, ties: 2000, subnormal: 2000, vocab: 50, moderate: 5000, masked: 5000 } },
  map: { offsets: 257, gaps: 129 },
});
