/**
 * The half formats alone: every built-in in float16 and bfloat16, pure (every
 * step rounded to the format) and widened (compute = float32, one rounding at
 * the end), fuzzed, mapped and timed. The README's half-precision figures come
 * from it:
 *
 *     npx softmax-stability run --suite half
 */
import { defineSuite } from 'softmax-stability';

export default defineSuite({
  name: 'half',
  seed: 16,
  dtypes: ['float16', 'bfloat16'],
  compute: { float16: ['float16', 'float32'], bfloat16: ['bfloat16', 'float32'] },
  fuzz: { runs: 100 },
  map: { offsets: 97, gaps: 65 },
  bench: { shapes: [[128, 1000]], halfShapes: [[128, 1000]], budgetSeconds: 30 },
});
