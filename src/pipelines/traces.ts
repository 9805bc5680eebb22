/**
 * Step-by-step re-runs of the built-in kernels for one row (see diagnose.ts):
 * each does the arithmetic of its kernel in the same order, through a `Trace`
 * that names the first step that went wrong. `logScale` arguments are
 * −log|∂loss/∂v| of the step's result v (diagnose.ts); with s = Σ exp(x_j − m)
 * and loss = log s − (x_t − m):
 *
 * - a term or partial sum of s: log s = log1pT; of the unshifted Σ exp(x_j): lse;
 * - the difference d_j = x_j − m of a term: log1pT − d_j (∂loss/∂d_j = exp(d_j)/s);
 * - a quantity added to or subtracted from the loss: 0.
 */
import type { Dtype } from '../float/dtype.js';
import { Trace, type Traced } from './diagnose.js';

/** max(x), −Infinity entries never win (row.ts for a row given as an array). */
function rowMax(row: ArrayLike<number>): number {
  let m = -Infinity;
  for (let j = 0; j < row.length; j++) if (row[j] > m) m = row[j];
  return m;
}

/** naive-softmax: e_j = exp(x_j), s = Σ e_j, p_t = e_t / s, loss = −log p_t. */
export function traceNaiveSoftmax(row: ArrayLike<number>, target: number, dtype: Dtype): Traced {
  const t = new Trace(row, target, dtype);
  const { lse } = t.ref;
  const xt = row[target];
  const pt = Math.exp(xt - lse); // true p_t
  let s = 0;
  let et = 0;
  for (let j = 0; j < row.length; j++) {
    const e = t.exp(row[j], lse);
    if (j === target) {
      // −log p_t = log s − log e_t: e_t's relative error reaches the loss times (1 − p_t).
      // A target term flushed to 0 shows up as log-of-zero at the end.
      t.checkUnderflow(row[j], e, xt - Math.log1p(-pt));
      et = e;
    }
    s = t.add(s, e, lse);
  }
  t.checkSumZero(s);
  // p_t ≈ 1 holds a small loss in its last bits: its rounding cancels them.
  const p = t.div(et, s, xt - lse, 'cancellation');
  return t.done(-t.log(p, 0));
}

/** unshifted-log-softmax: s = Σ exp(x_j), lse = log s, loss = −(x_t − lse). */
export function traceUnshiftedLogSoftmax(row: ArrayLike<number>, target: number, dtype: Dtype): Traced {
  const t = new Trace(row, target, dtype);
  const { lse } = t.ref;
  let s = 0;
  // x_t − lse exposes the roundings of exp and log at the scale of |x|, not of the loss.
  for (let j = 0; j < row.length; j++) s = t.add(s, t.exp(row[j], lse, 'cancellation'), lse);
  t.checkSumZero(s);
  const l = t.log(s, 0, 'cancellation');
  return t.done(-t.sub(row[target], l, 0));
}

/** The shifted sum s = Σ exp(x_j − m) shared by stable, fused and logsumexp-minus-target. */
function shiftedSum(t: Trace, row: ArrayLike<number>, m: number): number {
  const { log1pT } = t.ref;
  let s = 0;
  for (let j = 0; j < row.length; j++) {
    const d = t.sub(row[j], m, log1pT - (row[j] - m));
    s = t.add(s, t.exp(d, log1pT), log1pT);
  }
  return s;
}

/** stable-log-softmax: z_t = (x_t − m) − log s, loss = −z_t. */
export function traceStableLogSoftmax(row: ArrayLike<number>, target: number, dtype: Dtype): Traced {
  const t = new Trace(row, target, dtype);
  const m = rowMax(row);
  const ls = t.log(shiftedSum(t, row, m), 0);
  const dt = t.sub(row[target], m, 0);
  return t.done(-t.sub(dt, ls, 0));
}

/** fused-cross-entropy: loss = log s − (x_t − m). */
export function traceFusedCrossEntropy(row: ArrayLike<number>, target: number, dtype: Dtype): Traced {
  const t = new Trace(row, target, dtype);
  const m = rowMax(row);
  const ls = t.log(shiftedSum(t, row, m), 0);
  return t.done(t.sub(ls, t.sub(row[target], m, 0), 0));
}

/** logsumexp-minus-target: loss = (m + log s) − x_t. */
export function traceLogsumexpMinusTarget(row: ArrayLike<number>, target: number, dtype: Dtype): Traced {
  const t = new Trace(row, target, dtype);
  const m = rowMax(row);
  const ls = t.log(shiftedSum(t, row, m), 0);
  const l = t.add(m, ls, 0, 'absorption');
  return t.done(t.sub(l, row[target], 0, 'cancellation'));
}

/** log1p-log-softmax: k = argmax, s = Σ_{j≠k} exp(x_j − m), loss = log1p(s) − (x_t − m). */
export function traceLog1pLogSoftmax(row: ArrayLike<number>, target: number, dtype: Dtype): Traced {
  const t = new Trace(row, target, dtype);
  const { log1pT } = t.ref;
  let k = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[k]) k = j;
  const m = row[k];
  let s = 0;
  for (let j = 0; j < row.length; j++) {
    if (j === k) continue;
    const d = t.sub(row[j], m, log1pT - (row[j] - m));
    s = t.add(s, t.exp(d, log1pT), log1pT);
  }
  const lp = t.log1p(s);
  return t.done(t.sub(lp, t.sub(row[target], m, 0), 0));
}

/**
 * online-softmax: running max m_j and sum d_j = Σ_{i≤j} exp(x_i − m_j). An error E
 * in d_j reaches the loss as E·exp(m_j − m)/s, so its logScale is log1pT + m − m_j.
 */
export function traceOnlineSoftmax(row: ArrayLike<number>, target: number, dtype: Dtype): Traced {
  const t = new Trace(row, target, dtype);
  const { log1pT, m: mTrue } = t.ref;
  let m = -Infinity;
  let d = 0;
  for (let j = 0; j < row.length; j++) {
    const v = row[j];
    if (v > m) {
      const scaleNew = log1pT + mTrue - v;
      // c = exp(m − v) multiplies d: an error E in c is an error d·E in the new sum.
      const c = t.exp(t.sub(m, v, Infinity), scaleNew - Math.log(d));
      d = t.add(t.mul(d, c), 1, scaleNew);
      m = v;
    } else if (v !== -Infinity) {
      const scale = log1pT + mTrue - m;
      const e = t.exp(t.sub(v, m, scale - (v - m)), scale);
      d = t.add(d, e, scale);
    }
  }
  const ld = t.log(d, 0);
  return t.done(t.sub(ld, t.sub(row[target], m, 0), 0));
}
