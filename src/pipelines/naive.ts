/**
 * The textbook pipelines, with no shift by the maximum (the seed notebook's first
 * and second versions).
 *
 * Hazards, both formats: exp(x) overflows once x > ln(max) (float32:
 * ln(3.4028235e38) = 88.72283…; float64: ln(1.7976931348623157e308) = 709.78271…),
 * giving Infinity / Infinity = NaN or a zero probability; exp(x) underflows to 0
 * for x < ln(minSubnormal / 2) (float32: −103.97…; float64: −745.13…), so a
 * row whose every logit is that low sums to 0, and a target far below the rest
 * has p = 0 and loss −log 0 = Infinity.
 */
import { scratch32, scratch64 } from './scratch.js';
import { traceNaiveSoftmax, traceUnshiftedLogSoftmax } from './traces.js';
import type { Pipeline } from './types.js';
import { naiveSoftmaxGrad, unshiftedLogSoftmaxGrad } from './backward.js';
import { exp32 } from './exp32.js';

const fr = Math.fround;

/** naive-softmax: p = exp(x) / Σ exp(x), loss = −log p[t]. */
export const naiveSoftmax: Pipeline = {
  name: 'naive-softmax',
  formula: 'p = exp(x) / Σ exp(x); loss = −log p[t]',
  diagnose: (row, target, dtype) => traceNaiveSoftmax(row, target, dtype).cause,
  grad: naiveSoftmaxGrad,
  float32(x, rows, classes, targets, out) {
    const p = scratch32(classes);
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      let s = 0;
      for (let j = 0; j < classes; j++) {
        const e = exp32(x[base + j]);
        p[j] = e;
        s = fr(s + e);
      }
      for (let j = 0; j < classes; j++) p[j] = fr(p[j] / s);
      out[r] = -fr(Math.log(p[targets[r]]));
    }
  },
  float64(x, rows, classes, targets, out) {
    const p = scratch64(classes);
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      let s = 0;
      for (let j = 0; j < classes; j++) {
        const e = Math.exp(x[base + j]);
        p[j] = e;
        s += e;
      }
      for (let j = 0; j < classes; j++) p[j] /= s;
      out[r] = -Math.log(p[targets[r]]);
    }
  },
};

/** unshifted-log-softmax: z = x − log Σ exp(x), loss = −z[t]. */
export const unshiftedLogSoftmax: Pipeline = {
  name: 'unshifted-log-softmax',
  formula: 'z = x − log Σ exp(x); loss = −z[t]',
  diagnose: (row, target, dtype) => traceUnshiftedLogSoftmax(row, target, dtype).cause,
  grad: unshiftedLogSoftmaxGrad,
  float32(x, rows, classes, targets, out) {
    const z = scratch32(classes);
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      let s = 0;
      for (let j = 0; j < classes; j++) s = fr(s + exp32(x[base + j]));
      const lse = fr(Math.log(s));
      for (let j = 0; j < classes; j++) z[j] = fr(x[base + j] - lse);
      out[r] = -z[targets[r]];
    }
  },
  float64(x, rows, classes, targets, out) {
    const z = scratch64(classes);
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      let s = 0;
      for (let j = 0; j < classes; j++) s += Math.exp(x[base + j]);
      const lse = Math.log(s);
      for (let j = 0; j < classes; j++) z[j] = x[base + j] - lse;
      out[r] = -z[targets[r]];
    }
  },
};
