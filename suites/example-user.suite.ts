/**
 * A suite with a user's own pipeline next to two built-ins. The pipeline is a
 * plain object of the built-ins' shape: a name, a formula, and a float32 and a
 * float64 kernel over a row-major batch. It gets every analysis the built-ins
 * get (fuzz, map, bench, gate), in the main thread and in the worker pool.
 *
 *     npx softmax-stability fuzz --suite example-user
 *     npx softmax-stability fuzz --replay SEED:PATH --pipeline epsilon-softmax --dtype float32 --suite example-user
 *
 * summary.md (in reports/example-user/) prints the replay command of each failure, ready to paste.
 */
import { defineSuite } from 'softmax-stability';
import type { Pipeline } from 'softmax-stability';

/** The "add an epsilon before the log" habit: −log(p[t] + 1e−7), p from the max-shifted softmax. */
const EPS = 1e-7;
const fr = Math.fround;
let scratch = new Float64Array(1024);

const epsilonSoftmax: Pipeline = {
  name: 'epsilon-softmax',
  formula: 'p = exp(x − m) / Σ exp(x − m); loss = −log(p[t] + 1e−7)',
  float32(x, rows, classes, targets, out) {
    const eps = fr(EPS);
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      let m = -Infinity;
      for (let j = 0; j < classes; j++) if (x[base + j] > m) m = x[base + j];
      let s = 0;
      for (let j = 0; j < classes; j++) s = fr(s + fr(Math.exp(fr(x[base + j] - m))));
      const p = fr(fr(Math.exp(fr(x[base + targets[r]] - m))) / s);
      out[r] = -fr(Math.log(fr(p + eps)));
    }
  },
  float64(x, rows, classes, targets, out) {
    if (scratch.length < classes) scratch = new Float64Array(classes);
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      let m = -Infinity;
      for (let j = 0; j < classes; j++) if (x[base + j] > m) m = x[base + j];
      let s = 0;
      for (let j = 0; j < classes; j++) s += scratch[j] = Math.exp(x[base + j] - m);
      out[r] = -Math.log(scratch[targets[r]] / s + EPS);
    }
  },
};

export default defineSuite({
  name: 'example-user',
  seed: 7,
  pipelines: ['stable-log-softmax', 'log1p-log-softmax', epsilonSoftmax],
  budgets: { 'epsilon-softmax': 4 },
  // 50 cases per dtype of every family but vocab: its rows of 32k-50k classes cost seconds of
  // oracle each, so it keeps its default of 2 unless asked (fuzz: { runs: { vocab: 10 } }).
  fuzz: { runs: 50 },
});
