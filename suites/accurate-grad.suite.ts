/**
 * Issue 14's check at a size that runs in minutes: accurate-cross-entropy alone with
 * its 2-ulp budget, the research (and accurate) suite's seed, 300 cases per family and
 * one vocab row per dtype, float32 and float64, loss and gradient. Every gradient
 * component should be within 2 ulps of its correctly rounded value (fuzz.csv's grad
 * max_ulp ≤ 2):
 *
 *     softmax-stability fuzz --suite accurate-grad
 *
 * `--suite accurate` is the full-size campaign (research run counts).
 */
import { defineSuite } from 'softmax-stability';

export default defineSuite({
  name: 'accurate-grad',
  seed: 1,
  pipelines: ['accurate-cross-entropy'],
  dtypes: ['float32', 'float64'],
  budgets: { 'accurate-cross-entropy': 2 },
  fuzz: { runs: { ordinal: 300, offset: 300, dominant: 300, underdog: 300, spread: 300, ties: 300, subnormal: 300, vocab: 1, moderate: 300 } },
});
