/**
 * The max-shifted pipelines: the standard fix for exp overflow.
 *
 * Shifting by m = max(x) makes every exp argument ≤ 0 and the largest term 1, so
 * Σ exp(x − m) ∈ [1, n] never overflows or vanishes. What remains: the rounding
 * of x_j − m, the sum's rounding over many classes, and, for a confident
 * prediction, the loss log(1 + small) − 0 lost to the rounding of the sum near 1
 * (Blanchard, Higham & Higham 2021, section 3). `logsumexp-minus-target` adds
 * back m before subtracting x[t], so at |m| ≫ loss the loss is absorbed: for
 * [1e10, 1e10] in float32, (1e10 + ln 2) rounds to 1e10 and the loss to 0.
 */
import { scratch32, scratch64 } from './scratch.js';
import { rowMax } from './row.js';
import { traceFusedCrossEntropy, traceLogsumexpMinusTarget, traceStableLogSoftmax } from './traces.js';
import type { Pipeline } from './types.js';
import { fusedCrossEntropyGrad, logsumexpMinusTargetGrad, stableLogSoftmaxGrad } from './backward.js';
import { exp32 } from './exp32.js';

const fr = Math.fround;

/** stable-log-softmax: z = (x − m) − log Σ exp(x − m), loss = −z[t] (F.log_softmax + F.nll_loss). */
export const stableLogSoftmax: Pipeline = {
  name: 'stable-log-softmax',
  formula: 'z = (x − m) − log Σ exp(x − m); loss = −z[t]',
  diagnose: (row, target, dtype) => traceStableLogSoftmax(row, target, dtype).cause,
  grad: stableLogSoftmaxGrad,
  float32(x, rows, classes, targets, out) {
    const z = scratch32(classes);
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      const m = rowMax(x, base, classes);
      let s = 0;
      for (let j = 0; j < classes; j++) s = fr(s + exp32(fr(x[base + j] - m)));
      const ls = fr(Math.log(s));
      for (let j = 0; j < classes; j++) z[j] = fr(fr(x[base + j] - m) - ls);
      out[r] = -z[targets[r]];
    }
  },
  float64(x, rows, classes, targets, out) {
    const z = scratch64(classes);
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      const m = rowMax(x, base, classes);
      let s = 0;
      for (let j = 0; j < classes; j++) s += Math.exp(x[base + j] - m);
      const ls = Math.log(s);
      for (let j = 0; j < classes; j++) z[j] = x[base + j] - m - ls;
      out[r] = -z[targets[r]];
    }
  },
};

/** fused-cross-entropy: loss = log Σ exp(x − m) − (x[t] − m), one pass, no log-probability vector (F.cross_entropy). */
export const fusedCrossEntropy: Pipeline = {
  name: 'fused-cross-entropy',
  formula: 'loss = log Σ exp(x − m) − (x[t] − m)',
  diagnose: (row, target, dtype) => traceFusedCrossEntropy(row, target, dtype).cause,
  grad: fusedCrossEntropyGrad,
  float32(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      const m = rowMax(x, base, classes);
      let s = 0;
      for (let j = 0; j < classes; j++) s = fr(s + exp32(fr(x[base + j] - m)));
      out[r] = fr(fr(Math.log(s)) - fr(x[base + targets[r]] - m));
    }
  },
  float64(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      const m = rowMax(x, base, classes);
      let s = 0;
      for (let j = 0; j < classes; j++) s += Math.exp(x[base + j] - m);
      out[r] = Math.log(s) - (x[base + targets[r]] - m);
    }
  },
};

/** logsumexp-minus-target: loss = (m + log Σ exp(x − m)) − x[t]. */
export const logsumexpMinusTarget: Pipeline = {
  name: 'logsumexp-minus-target',
  formula: 'loss = (m + log Σ exp(x − m)) − x[t]',
  diagnose: (row, target, dtype) => traceLogsumexpMinusTarget(row, target, dtype).cause,
  grad: logsumexpMinusTargetGrad,
  float32(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      const m = rowMax(x, base, classes);
      let s = 0;
      for (let j = 0; j < classes; j++) s = fr(s + exp32(fr(x[base + j] - m)));
      out[r] = fr(fr(m + fr(Math.log(s))) - x[base + targets[r]]);
    }
  },
  float64(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      const m = rowMax(x, base, classes);
      let s = 0;
      for (let j = 0; j < classes; j++) s += Math.exp(x[base + j] - m);
      out[r] = m + Math.log(s) - x[base + targets[r]];
    }
  },
};
