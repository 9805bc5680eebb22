/**
 * accurate-cross-entropy's backward pass: every component within 2 ulps of the
 * correctly rounded gradient wherever it is finite (issue 14), in float32 and
 * float64.
 *
 * Method (SPEC section 2.2, the log1p form). With k an index of the maximum m,
 * e_j = exp(x_j − m) (e_k = 1), T = Σ_{j≠k} e_j and S = 1 + T,
 *
 *     g_j = e_j / S                  (j ≠ t),
 *     g_t = −Q / S,   Q = Σ_{j≠t} e_j = (t = k ? T : 1 + Σ_{j≠k,t} e_j),
 *
 * so the target's component is a quotient of two sums of positive terms and
 * never cancels (1 − p_t computed as a sum, not as a difference).
 *
 * float64: each e_j is the double-double table exp of the exact difference x_j − m
 * (`expTerm` of accurate.ts, relative error ≈ 2^−62), T and Q are double-double
 * sums (`sumRow`), the quotient is a double-double division (Dekker's TwoProd
 * for the residual), and the result is rounded once and scaled by the term's
 * power of two (one more rounding only when the component is subnormal): within
 * 1 ulp of the correctly rounded component. When t = k and every other class is
 * more than 600 below the maximum, Q = T is near the subnormal range and is
 * summed scaled by 2^−qmax, as the loss kernel does. A term below e^−746 gives a
 * component below half the smallest subnormal: +0 (masked classes included).
 *
 * float32 (and any narrower format, `accurateGradNarrow`): the same formulas in
 * double, each component rounded once to the format. The relative error before
 * that rounding is below (|x_j − m| + n + 2)·2^−53 ≪ 2^−24.
 */
import type { RoundingFn } from './generic.js';
import {
  expTerm,
  INV_LN2_N,
  NEGLIGIBLE_BELOW,
  NO_EFFECT_BELOW,
  outHi,
  outLo,
  ROUNDER,
  rowK,
  rowM,
  rowM2,
  scanMax,
  SCALED_BELOW,
  sumErr,
  sumHi,
  sumLo,
  sumRow,
  termExp,
  termHi,
  termLo,
  twoProd,
} from './accurate.js';
import type { PipelineGrad } from './types.js';

/** exp(d) < 2^−1075 (half the smallest float64 subnormal) below this d: the component rounds to +0. */
const ZERO_BELOW = -746;

/** (ah + al) / (bh + bl) for b ≥ 1, rounded once to a double: relative error ≈ 2^−53 (the last rounding) + 2^−100. */
function ddDiv(ah: number, al: number, bh: number, bl: number): number {
  const qh = ah / bh;
  twoProd(qh, bh);
  // ah − qh·bh is exact as (ah − outHi) − outLo (Sterbenz: qh·bh is within an ulp of ah).
  const r = (ah - outHi - outLo + al - qh * bl) / bh;
  return qh + r;
}

/** v·2^e, rounded once (only when the product is subnormal); e ≤ 0. */
function scale(v: number, e: number): number {
  return e >= -1074 ? v * 2 ** e : v * 2 ** -600 * 2 ** (e + 600);
}

/** One row's gradient in float64 into out[base .. base + classes). */
function accurateGradRow64(x: Float64Array, base: number, classes: number, target: number, out: Float64Array): void {
  scanMax(x, base, classes);
  const k = rowK;
  const m = rowM;
  const m2 = rowM2;
  // S = 1 + T, T = Σ_{j≠k} e_j as a double-double.
  sumRow(x, base, classes, k, m, -NEGLIGIBLE_BELOW, 0);
  const th = sumHi + (sumErr + sumLo);
  const tl = sumErr + sumLo - (th - sumHi);
  const sh = 1 + th;
  const sb = sh - 1;
  const sl = 1 - (sh - sb) + (th - sb) + tl;
  // Q = Σ_{j≠t} e_j = 2^qExp · (qh + ql).
  let qh: number;
  let ql: number;
  let qExp = 0;
  if (target === k) {
    const g = m2 - m;
    if (g < NO_EFFECT_BELOW || m2 === -Infinity) {
      // No other class, or all so far below that Q < n·e^−1500 rounds to 0.
      qh = 0;
      ql = 0;
    } else if (g < SCALED_BELOW) {
      // T < n·e^−600: summed at the scale 2^−qmax of its largest term, so that its last bits survive.
      qExp = ((g * INV_LN2_N + ROUNDER - ROUNDER) | 0) >> 8;
      sumRow(x, base, classes, k, m, g - NEGLIGIBLE_BELOW, qExp);
      qh = sumHi + (sumErr + sumLo);
      ql = sumErr + sumLo - (qh - sumHi);
    } else {
      qh = th;
      ql = tl;
    }
  } else {
    sumRow(x, base, classes, k, m, -NEGLIGIBLE_BELOW, 0, target);
    const rh = sumHi + (sumErr + sumLo);
    const rl = sumErr + sumLo - (rh - sumHi);
    qh = 1 + rh;
    const qb = qh - 1;
    ql = 1 - (qh - qb) + (rh - qb) + rl;
  }
  for (let j = 0; j < classes; j++) {
    if (j === target) {
      out[base + j] = qh === 0 ? 0 : -scale(ddDiv(qh, ql, sh, sl), qExp);
    } else if (j === k) {
      out[base + j] = ddDiv(1, 0, sh, sl);
    } else {
      const v = x[base + j];
      const dh = v - m;
      if (dh < ZERO_BELOW) {
        out[base + j] = 0; // masked, or e_j < 2^−1075
      } else {
        expTerm(v, m, dh);
        out[base + j] = scale(ddDiv(termHi, termLo, sh, sl), termExp);
      }
    }
  }
}

/**
 * The gradient of one row evaluated in double and rounded once per component with
 * `round` (float32: Math.fround; the half formats: their rounding). Reads
 * x[base .. base + classes), writes out[base .. base + classes).
 */
export function accurateGradNarrow(
  x: ArrayLike<number>,
  base: number,
  classes: number,
  target: number,
  out: { [i: number]: number },
  round: RoundingFn,
): void {
  let k = 0;
  for (let j = 1; j < classes; j++) if (x[base + j] > x[base + k]) k = j;
  const m = x[base + k];
  let t = 0;
  let r = 0;
  for (let j = 0; j < classes; j++) {
    if (j === k) continue;
    const e = Math.exp(x[base + j] - m);
    t += e;
    if (j !== target) r += e;
  }
  const s = 1 + t;
  const q = target === k ? t : 1 + r;
  for (let j = 0; j < classes; j++) {
    if (j === target) out[base + j] = q === 0 ? 0 : round(-q / s);
    else out[base + j] = round((j === k ? 1 : Math.exp(x[base + j] - m)) / s);
  }
}

export const accurateCrossEntropyGrad: PipelineGrad = {
  float32(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) accurateGradNarrow(x, base, classes, targets[r], out, Math.fround);
  },
  float64(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) accurateGradRow64(x, base, classes, targets[r], out);
  },
  generic: accurateGenericGrad,
};

let row64 = new Float64Array(64);
let grad64 = new Float64Array(64);
/** 1 + 2^−52: a double that every narrower format rounds away, so it tells float64's rounding (the identity) apart. */
const ROUNDS_IN_FLOAT64_ONLY = 1 + 2 ** -52;

/**
 * accurate-cross-entropy's generic gradient: under the identity rounding its
 * float64 kernel; otherwise evaluated in double and rounded once per component.
 */
export function accurateGenericGrad(row: ArrayLike<number>, target: number, round: RoundingFn, out: Float64Array): void {
  const n = row.length;
  if (round(ROUNDS_IN_FLOAT64_ONLY) !== ROUNDS_IN_FLOAT64_ONLY) {
    accurateGradNarrow(row, 0, n, target, out, round);
    return;
  }
  if (row64.length < n) {
    row64 = new Float64Array(n);
    grad64 = new Float64Array(n);
  }
  for (let j = 0; j < n; j++) row64[j] = row[j];
  accurateGradRow64(row64, 0, n, target, grad64);
  for (let j = 0; j < n; j++) out[j] = grad64[j];
}
