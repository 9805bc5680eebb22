/**
 * PyTorch's cross-entropy options under fuzz (issue 15; SPEC 6): the five option
 * families of src/fuzz/options.ts (random weights with zeros, ignored rows and
 * all-ignored batches, smoothing from 1e−4 to 0.5, soft targets of four kinds,
 * fully masked rows) in three settings swept: a mean, a sum with fully masked rows
 * as 0 (attention's safe softmax), and a smoothed mean that drops fully masked rows.
 * Loss, batch values and gradients; a small bare `moderate` family beside them. The
 * README's options figures and the summary's Options section come from
 *
 *     npx softmax-stability fuzz --suite options
 */
import { defineSuite } from 'softmax-stability';

export default defineSuite({
  name: 'options',
  seed: 15,
  dtypes: ['float32', 'float64', 'float16'],
  fuzz: { families: ['moderate'], runs: { moderate: 20 }, failures: 1, shrink: { attempts: 1, steps: 20 }, quantities: ['loss', 'grad'] },
  map: { offsets: 17, gaps: 9, quantities: ['loss'] },
  options: [{ reduction: 'mean' }, { reduction: 'sum', maskedRows: 'zero' }, { reduction: 'mean', labelSmoothing: 0.1, maskedRows: 'ignore' }],
});
