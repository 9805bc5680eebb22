/**
 * The log1p family: the maximal term's 1 kept out of the sum.
 */
import { traceLog1pLogSoftmax } from './traces.js';
import type { Pipeline } from './types.js';
import { log1pLogSoftmaxGrad } from './backward.js';
import { exp32 } from './exp32.js';

const fr = Math.fround;

/**
 * log1p-log-softmax: k = argmax, s = Σ_{j≠k} exp(x_j − m), loss = log1p(s) − (x[t] − m).
 * Leaving the 1 of the maximal term out of the sum keeps a small s exact enough
 * for log1p to return a tiny loss to full relative accuracy (Blanchard, Higham &
 * Higham 2021, Algorithm 4.1).
 */
export const log1pLogSoftmax: Pipeline = {
  name: 'log1p-log-softmax',
  formula: 'k = argmax; s = Σ_{j≠k} exp(x_j − m); loss = log1p(s) − (x[t] − m)',
  diagnose: (row, target, dtype) => traceLog1pLogSoftmax(row, target, dtype).cause,
  grad: log1pLogSoftmaxGrad,
  float32(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      let k = 0;
      for (let j = 1; j < classes; j++) if (x[base + j] > x[base + k]) k = j;
      const m = x[base + k];
      let s = 0;
      for (let j = 0; j < classes; j++) if (j !== k) s = fr(s + exp32(fr(x[base + j] - m)));
      out[r] = fr(fr(Math.log1p(s)) - fr(x[base + targets[r]] - m));
    }
  },
  float64(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      let k = 0;
      for (let j = 1; j < classes; j++) if (x[base + j] > x[base + k]) k = j;
      const m = x[base + k];
      let s = 0;
      for (let j = 0; j < classes; j++) if (j !== k) s += Math.exp(x[base + j] - m);
      out[r] = Math.log1p(s) - (x[base + targets[r]] - m);
    }
  },
};

