/**
 * The backward kernels of the seven framework pipelines (SPEC section 2.2): the
 * gradient of each row's loss with respect to its logits, computed the way the
 * pipeline's framework computes it. Batch in (`rows × classes` logits, targets),
 * gradient matrix out (`rows × classes`), allocation-free: the naive kernel keeps
 * exp(x) in `out` until it overwrites it with the gradient.
 *
 * Each is the generic gradient of generic.ts (`STEPPED_GRAD`, whose comments
 * give the derivations and sources) with `round = Math.fround` (float32: exp via
 * exp32, equal to Math.fround(Math.exp(·)) bit for bit) or the identity
 * (float64), step for step; backward.test.ts checks them bit for bit. The
 * `generic` of each `PipelineGrad` is that generic gradient, for the half formats.
 */
import { exp32 } from './exp32.js';
import { GENERIC_GRAD } from './generic.js';
import { onlineD, onlineM, onlineMaxSum32, onlineMaxSum64 } from './online-sum.js';
import { rowMax } from './row.js';
import type { PipelineGrad } from './types.js';

const fr = Math.fround;

/** Σ exp(x_j − m) over one float32 row, each difference, term and partial sum rounded (the forward's sum). */
function shiftedSum32(x: Float32Array, base: number, classes: number, m: number): number {
  let s = 0;
  for (let j = 0; j < classes; j++) s = fr(s + exp32(fr(x[base + j] - m)));
  return s;
}

function shiftedSum64(x: Float64Array, base: number, classes: number, m: number): number {
  let s = 0;
  for (let j = 0; j < classes; j++) s += Math.exp(x[base + j] - m);
  return s;
}

/** naive-softmax: autograd through e = exp(x), s = Σ e, p = e / s, −log p[t] (PyTorch's backward formulas). */
export const naiveSoftmaxGrad: PipelineGrad = {
  float32(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      const t = targets[r];
      let s = 0;
      for (let j = 0; j < classes; j++) s = fr(s + (out[base + j] = exp32(x[base + j])));
      const gradP = fr(-1 / fr(out[base + t] / s));
      let gradS = 0;
      for (let j = 0; j < classes; j++) gradS = fr(gradS + fr(-(j === t ? gradP : 0) * fr(fr(out[base + j] / s) / s)));
      for (let j = 0; j < classes; j++) out[base + j] = fr(fr(fr((j === t ? gradP : 0) / s) + gradS) * out[base + j]);
    }
  },
  float64(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      const t = targets[r];
      let s = 0;
      for (let j = 0; j < classes; j++) s += out[base + j] = Math.exp(x[base + j]);
      const gradP = -1 / (out[base + t] / s);
      let gradS = 0;
      for (let j = 0; j < classes; j++) gradS += -(j === t ? gradP : 0) * (out[base + j] / s / s);
      for (let j = 0; j < classes; j++) out[base + j] = ((j === t ? gradP : 0) / s + gradS) * out[base + j];
    }
  },
  generic: GENERIC_GRAD['naive-softmax'],
};

/** unshifted-log-softmax: log_softmax backward, g_j = (−[j = t]) − (−exp(z_j)), z_j = x_j − log Σ exp(x). */
export const unshiftedLogSoftmaxGrad: PipelineGrad = {
  float32(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      let s = 0;
      for (let j = 0; j < classes; j++) s = fr(s + exp32(x[base + j]));
      const lse = fr(Math.log(s));
      for (let j = 0; j < classes; j++) out[base + j] = fr((j === targets[r] ? -1 : 0) - -exp32(fr(x[base + j] - lse)));
    }
  },
  float64(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      let s = 0;
      for (let j = 0; j < classes; j++) s += Math.exp(x[base + j]);
      const lse = Math.log(s);
      for (let j = 0; j < classes; j++) out[base + j] = (j === targets[r] ? -1 : 0) - -Math.exp(x[base + j] - lse);
    }
  },
  generic: GENERIC_GRAD['unshifted-log-softmax'],
};

/** stable-log-softmax: log_softmax backward from z_j = (x_j − m) − log Σ exp(x − m). */
export const stableLogSoftmaxGrad: PipelineGrad = {
  float32(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      const m = rowMax(x, base, classes);
      const ls = fr(Math.log(shiftedSum32(x, base, classes, m)));
      for (let j = 0; j < classes; j++) out[base + j] = fr((j === targets[r] ? -1 : 0) - -exp32(fr(fr(x[base + j] - m) - ls)));
    }
  },
  float64(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      const m = rowMax(x, base, classes);
      const ls = Math.log(shiftedSum64(x, base, classes, m));
      for (let j = 0; j < classes; j++) out[base + j] = (j === targets[r] ? -1 : 0) - -Math.exp(x[base + j] - m - ls);
    }
  },
  generic: GENERIC_GRAD['stable-log-softmax'],
};

/** The fused softmax backward g_j = exp(x_j − m) / s − [j = t] of one float32 row, with the forward's m and s. */
function fusedRow32(x: Float32Array, base: number, classes: number, t: number, m: number, s: number, out: Float32Array): void {
  for (let j = 0; j < classes; j++) {
    const p = fr(exp32(fr(x[base + j] - m)) / s);
    out[base + j] = j === t ? fr(p - 1) : p;
  }
}

function fusedRow64(x: Float64Array, base: number, classes: number, t: number, m: number, s: number, out: Float64Array): void {
  for (let j = 0; j < classes; j++) {
    const p = Math.exp(x[base + j] - m) / s;
    out[base + j] = j === t ? p - 1 : p;
  }
}

/** fused-cross-entropy: g_j = exp(x_j − m) / Σ exp(x − m) − [j = t], one pass over the forward's m and s. */
export const fusedCrossEntropyGrad: PipelineGrad = {
  float32(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      const m = rowMax(x, base, classes);
      fusedRow32(x, base, classes, targets[r], m, shiftedSum32(x, base, classes, m), out);
    }
  },
  float64(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      const m = rowMax(x, base, classes);
      fusedRow64(x, base, classes, targets[r], m, shiftedSum64(x, base, classes, m), out);
    }
  },
  generic: GENERIC_GRAD['fused-cross-entropy'],
};

/** online-softmax: the fused backward over the one-pass running max m and rescaled sum d. */
export const onlineSoftmaxGrad: PipelineGrad = {
  float32(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      onlineMaxSum32(x, base, classes);
      fusedRow32(x, base, classes, targets[r], onlineM, onlineD, out);
    }
  },
  float64(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      onlineMaxSum64(x, base, classes);
      fusedRow64(x, base, classes, targets[r], onlineM, onlineD, out);
    }
  },
  generic: GENERIC_GRAD['online-softmax'],
};

/** logsumexp-minus-target: logsumexp backward, g_j = exp(x_j − lse) − [j = t], lse = m + log Σ exp(x − m). */
export const logsumexpMinusTargetGrad: PipelineGrad = {
  float32(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      const m = rowMax(x, base, classes);
      const lse = fr(m + fr(Math.log(shiftedSum32(x, base, classes, m))));
      for (let j = 0; j < classes; j++) {
        const p = exp32(fr(x[base + j] - lse));
        out[base + j] = j === targets[r] ? fr(p - 1) : p;
      }
    }
  },
  float64(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      const m = rowMax(x, base, classes);
      const lse = m + Math.log(shiftedSum64(x, base, classes, m));
      for (let j = 0; j < classes; j++) {
        const p = Math.exp(x[base + j] - lse);
        out[base + j] = j === targets[r] ? p - 1 : p;
      }
    }
  },
  generic: GENERIC_GRAD['logsumexp-minus-target'],
};

/** log1p-log-softmax: p_j = exp(x_j − m) / (1 + s), s = Σ_{j≠k} exp(x_j − m); the target's −Σ_{j≠t} p_j. */
export const log1pLogSoftmaxGrad: PipelineGrad = {
  float32(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      const t = targets[r];
      let k = 0;
      for (let j = 1; j < classes; j++) if (x[base + j] > x[base + k]) k = j;
      const m = x[base + k];
      let s = 0;
      for (let j = 0; j < classes; j++) if (j !== k) s = fr(s + exp32(fr(x[base + j] - m)));
      const denom = fr(1 + s);
      let rest = 0;
      for (let j = 0; j < classes; j++) {
        const p = fr((j === k ? 1 : exp32(fr(x[base + j] - m))) / denom);
        out[base + j] = p;
        if (j !== t) rest = fr(rest + p);
      }
      out[base + t] = -rest;
    }
  },
  float64(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      const t = targets[r];
      let k = 0;
      for (let j = 1; j < classes; j++) if (x[base + j] > x[base + k]) k = j;
      const m = x[base + k];
      let s = 0;
      for (let j = 0; j < classes; j++) if (j !== k) s += Math.exp(x[base + j] - m);
      const denom = 1 + s;
      let rest = 0;
      for (let j = 0; j < classes; j++) {
        const p = (j === k ? 1 : Math.exp(x[base + j] - m)) / denom;
        out[base + j] = p;
        if (j !== t) rest += p;
      }
      out[base + t] = -rest;
    }
  },
  generic: GENERIC_GRAD['log1p-log-softmax'],
};
