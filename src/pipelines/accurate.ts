/**
 * accurate-cross-entropy: the per-row loss within 2 ulps of the correctly rounded
 * loss wherever that loss is finite, in both formats (issue 7).
 *
 * Method. With k an index of the maximum m, t the target and D = m − x[t] ≥ 0,
 *
 *     loss = D + log1p(T),   T = Σ_{j≠k} exp(x_j − m)
 *
 * (Blanchard, Higham & Higham 2021, eq. (4.2)): keeping the maximal term's 1 out
 * of T lets log1p return a tiny loss to full relative accuracy, and both parts are
 * ≥ 0, so the final sum cannot cancel. What still loses bits, and what removes it:
 *
 * 1. The rounding of x_j − m (an error of |x_j − m| · u in the exponent, i.e. a
 *    relative error of up to 745 u in a float64 term): TwoSum keeps the difference
 *    exact as a double-double dh + dl (Knuth, TAOCP vol. 2, 4.2.2), and exp uses
 *    both parts.
 * 2. exp itself (Math.exp is faithful, < 1 ulp) and the n roundings of the sum
 *    (n·u relative, Higham 2002, §4.2): each term is produced as 2^q·(H + h)
 *    with H = 2^(i/256) from a table and h = H·expm1(r) + (table's low part),
 *    |r| ≤ ln2/512, so its relative error is about u·|r| ≈ 2^−62; the H parts are
 *    summed with TwoSum and the small parts in a separate accumulator, so T is known
 *    to about 2^−60 relative (a double-double sum, Ogita, Rump & Oishi 2005).
 * 3. log1p (Math.log1p is faithful, < 1 ulp): T < 1/4 takes the series
 *    T − T²/2 + T³/3 − … with the first two terms in double-double; T ≥ 1/4 takes
 *    y0 = log(1 + T) in double and one Newton step y0 + ((1 + T)·e^(−y0) − 1)
 *    with e^(−y0) from the same table exp and the product by Dekker's TwoProd.
 * 4. Subnormal results: when the target is the maximum (D = 0) and every other
 *    class is far below, the loss ≈ T is subnormal or near it; the terms are then
 *    summed scaled by 2^−qmax (qmax the exponent of the largest term) and the
 *    loss is scaled back once at the end, so the only rounding in the subnormal
 *    range is the last one.
 * The double-double result (relative error ≈ 2^−58) is rounded once: within 1 ulp
 * of the correctly rounded loss, 0 unless the loss lies within 2^−58 of a midpoint.
 *
 * float32: the same formula evaluated in float64 (the "wider format" of issue 7:
 * 29 more bits than the result needs) and rounded once with Math.fround; its
 * relative error before that rounding is below 2^−36 (n·2^−53 from the sum, for n ≤ 2^17
 * classes, and |x_j − m|·2^−53 ≤ 2^−46 from each difference), far below its 2^−24, so the result is within
 * 1 ulp of the correctly rounded float32 loss. It does not follow SPEC section 2's
 * round-every-step rule, which defines the seven built-ins' float32 behaviour; it
 * states its own.
 */
import { Decimal } from 'decimal.js';
import { exactDecimalString } from '../oracle/exact.js';
import type { Pipeline, PipelineGrad } from './types.js';
import { accurateCrossEntropyGrad } from './accurate-grad.js';

// ---------------------------------------------------------------------------
// Tables and constants, derived at load time from decimal.js at 40 digits (each
// double taken at its exact binary value: `new Decimal(x)` would read its shortest decimal).

/** Table size: 2^(i/N), i = 0..N−1; |r| ≤ ln2/(2N) = 0.00135 after reduction. */
export const N = 256;
const D40 = Decimal.clone({ precision: 40 });
const LN2 = D40.ln(2);
/** N / ln 2, rounded: only used to pick the reduction multiple, any rounding is fine. */
export const INV_LN2_N = N / Math.LN2;
/**
 * ln2/N in three parts (Cody & Waite 1980): L1 keeps 33 significant bits so that
 * kk·L1 is exact for |kk| < 2^20 (|d| < 2800, beyond every argument used below);
 * L2 and L3 carry the next 106 bits.
 */
export const [L1, L2, L3] = (() => {
  const c = LN2.div(N);
  const hi = Number(c.toString());
  const l1 = Math.trunc(hi * 2 ** 40) / 2 ** 40; // ln2/256 ≈ 2^−8.5: 40 fractional bits = 33 significant bits
  const rest = c.minus(exactDecimalString(l1));
  const l2 = Number(rest.toString());
  const l3 = Number(rest.minus(exactDecimalString(l2)).toString());
  return [l1, l2, l3];
})();
/** 2^(i/N) as a double-double: TH[i] + TL[i]. */
export const TH = new Float64Array(N);
export const TL = new Float64Array(N);
for (let i = 0; i < N; i++) {
  const v = new D40(2).pow(new D40(i).div(N));
  TH[i] = Number(v.toString());
  TL[i] = Number(v.minus(exactDecimalString(TH[i])).toString());
}
/** POW2M[e] = 2^−e for e = 0..1074 (2^−1074 is the smallest subnormal); 0 beyond. */
export const POW2M = new Float64Array(1076);
for (let e = 0; e < 1076; e++) POW2M[e] = e <= 1074 ? 2 ** -e : 0;
/** Rounds a double of magnitude < 2^51 to an integer, ties to even: adding 1.5·2^52 leaves no fraction bits. */
export const ROUNDER = 6755399441055744;
/** Dekker's splitter for TwoProd without FMA: 2^27 + 1. */
const SPLITTER = 134217729;
/**
 * Terms more than 800 below the largest one (e^−800 ≈ 2^−1154 of it) cannot reach
 * the 2^−60 relative accuracy the sum keeps: skipped, along with masked classes.
 */
export const NEGLIGIBLE_BELOW = 800;
/**
 * Below this the other classes cannot touch a float64 loss: T < n·e^−1500 < 2^−2100
 * for n < 2^60, far under half the smallest subnormal (2^−1075), so the loss is
 * D + 0 rounded (an exact 0 when D = 0).
 */
export const NO_EFFECT_BELOW = -1500;
/**
 * With the target at the maximum and every other class more than 600 below it,
 * T < n·e^−600 ≈ 2^−866·n: small enough that the loss is T itself, and close
 * enough to the subnormal range (2^−1022) that it is summed scaled.
 */
export const SCALED_BELOW = -600;

// ---------------------------------------------------------------------------
// Row state shared by the helpers (module-level, so the kernels allocate nothing).

export let sumHi = 0; // Σ of the table parts 2^(q−qmax)·H, TwoSum-accumulated …
export let sumErr = 0; // … their rounding errors …
export let sumLo = 0; // … and the small parts 2^(q−qmax)·h (see sumRow).
let expHi = 0; // result of expDD: expHi + expLo
let expLo = 0;
export let outHi = 0; // result of log1pDD / twoProd
export let outLo = 0;

/** exp(x) for |x| ≤ 2800 as a double-double in (expHi, expLo), relative error ≈ 2^−62. */
function expDD(x: number): void {
  const kk = x * INV_LN2_N + ROUNDER - ROUNDER;
  const r = x - kk * L1 - kk * L2 - kk * L3;
  const ki = kk | 0;
  const i = ki & (N - 1);
  const scale = 2 ** (ki >> 8);
  const p = r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720))))));
  expHi = TH[i] * scale;
  expLo = (TH[i] * p + TL[i]) * scale;
}

/** Dekker's TwoProd: a·b = outHi + outLo exactly (no overflow in the split for |a|, |b| < 2^995). */
export function twoProd(a: number, b: number): void {
  const p = a * b;
  let c = SPLITTER * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = SPLITTER * b;
  const bh = c - (c - b);
  const bl = b - bh;
  outHi = p;
  outLo = ah * bh - p + ah * bl + al * bh + al * bl;
}

/** log1p(th + tl) for a double-double T ≥ 0, into (outHi, outLo); relative error ≈ 2^−58. */
function log1pDD(th: number, tl: number): void {
  if (th < 0.25) {
    // T − T²/2 + tail, tail = Σ_{k≥3} (−T)^k·(−1)/k in double: |tail| ≤ T³/3 ≤ T/48, so its
    // rounding is < 2^−58 of the result. 40 terms: 0.25^40/40 < 2^−85.
    let tail = 0;
    for (let k = 40; k >= 3; k--) tail = th * ((k % 2 === 1 ? 1 : -1) / k + tail);
    tail *= th * th;
    twoProd(th, th);
    const sqHi = outHi * 0.5;
    const sqLo = (outLo + 2 * th * tl) * 0.5;
    // (th + tl) − (sqHi + sqLo) + tail
    const s = th - sqHi;
    const bp = s - th;
    const err = th - (s - bp) + (-sqHi - bp);
    outHi = s;
    outLo = err + tl - sqLo + tail;
    return;
  }
  // S = 1 + T as a double-double.
  const sh = 1 + th;
  const bp = sh - 1;
  const sl = 1 - (sh - bp) + (th - bp) + tl;
  const y0 = Math.log(sh);
  expDD(-y0);
  const eh = expHi;
  const el = expLo;
  twoProd(sh, eh);
  // δ = S·e^(−y0) − 1 ≈ log(S) − y0, |δ| < 2^−50; its square is below 2^−100 of y0 ≥ 0.22.
  const delta = outHi - 1 + (outLo + sh * el + sl * eh);
  outHi = y0;
  outLo = delta;
}

// ---------------------------------------------------------------------------

/** The first index of the maximum, the maximum and the largest other value (−Infinity if none), set by {@link scanMax}. */
export let rowK = 0;
export let rowM = 0;
export let rowM2 = -Infinity;

/** One pass over x[base .. base + classes): rowK, rowM, rowM2. */
export function scanMax(x: Float64Array, base: number, classes: number): void {
  let k = 0;
  let m = x[base];
  let m2 = -Infinity;
  for (let j = 1; j < classes; j++) {
    const v = x[base + j];
    if (v > m) {
      m2 = m;
      m = v;
      k = j;
    } else if (v > m2) {
      m2 = v;
    }
  }
  rowK = k;
  rowM = m;
  rowM2 = m2;
}

function accurateRow64(x: Float64Array, base: number, classes: number, target: number): number {
  // scanMax's pass, written out (the hot path: no module variables in between).
  let k = 0;
  let m = x[base];
  let m2 = -Infinity;
  for (let j = 1; j < classes; j++) {
    const v = x[base + j];
    if (v > m) {
      m2 = m;
      m = v;
      k = j;
    } else if (v > m2) {
      m2 = v;
    }
  }
  const xt = x[base + target];
  // D = m − x[t] exactly, as Dh + Dl (TwoSum).
  const dH = m - xt;
  if (dH === Infinity) return Infinity; // masked target, or D > max: the loss overflows too
  const bv = dH - m;
  const dL = m - (dH - bv) + (-xt - bv);
  const g = m2 - m; // the largest other term's exponent (rounded): only picks thresholds and the scale
  if (g < NO_EFFECT_BELOW || m2 === -Infinity) return dH + dL;
  if (target === k && g < SCALED_BELOW) {
    // D = 0 and T < n·e^−600 < 2^−865·n: log1p(T) = T·(1 − T/2 + …) equals T to 2^−865,
    // so the loss is T, summed at the scale 2^−qmax of its largest term.
    const qmax = ((g * INV_LN2_N + ROUNDER - ROUNDER) | 0) >> 8;
    // T < 2^(qmax+1)·n: below 2^−1079 for n < 2^20, under half the smallest subnormal.
    if (qmax < -1100) return 0;
    sumRow(x, base, classes, k, m, g - NEGLIGIBLE_BELOW, qmax);
    const tsH = sumHi + (sumErr + sumLo);
    // 2^−600 keeps the first product normal and exact; the second rounds once (qmax + 600 ≥ −500).
    return tsH * 2 ** -600 * 2 ** (qmax + 600);
  }
  sumRow(x, base, classes, k, m, -NEGLIGIBLE_BELOW, 0);
  const tsH = sumHi + (sumErr + sumLo);
  const tsL = sumErr + sumLo - (tsH - sumHi);
  log1pDD(tsH, tsL);
  // D + log1p(T) in double-double, rounded once.
  const hi = dH + outHi;
  const bb = hi - dH;
  const lo = dH - (hi - bb) + (outHi - bb) + dL + outLo;
  return hi + lo;
}

/** exp(x_j − m) as 2^termExp · (termHi + termLo), set by {@link expTerm}. */
export let termHi = 0;
export let termLo = 0;
export let termExp = 0;

/**
 * exp(v − m) for dh = v − m (the double difference) ≥ −2300, into (termHi,
 * termLo, termExp): 2^termExp · (termHi + termLo), termHi = 2^(i/N) from the
 * table, relative error ≈ 2^−62. v − m is kept exact as dh + dl (TwoSum), and
 * exp(dh + dl) = 2^(kk/N) · exp(r), r = dh + dl − kk·ln2/N, |r| ≤ ln2/(2N);
 * |kk| < 2^20, so kk·L1 is exact.
 */
export function expTerm(v: number, m: number, dh: number): void {
  const bb = dh - v; // TwoSum(v, −m): dh + dl = v − m exactly
  const dl = v - (dh - bb) + (-m - bb);
  const kk = dh * INV_LN2_N + ROUNDER - ROUNDER;
  const r = dh - kk * L1 - kk * L2 + (dl - kk * L3);
  const ki = kk | 0;
  const i = ki & (N - 1);
  // expm1(r) to degree 6: the first term left out, r^7/7! < 2^−79 for |r| ≤ 0.00136.
  const p = r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720))))));
  termHi = TH[i];
  termLo = TH[i] * p + TL[i];
  termExp = ki >> 8; // floor(kk / N): the power of two
}

/**
 * T·2^−qmax into (sumHi, sumErr, sumLo): every j ≠ k (and ≠ `skip`) with
 * x_j − m ≥ lim (masked classes fail that test). lim ≥ −2300, so |kk| < 2^20
 * and kk·L1 is exact. The term is {@link expTerm}'s, written out here: this is
 * the loss kernel's hot loop, and a call per term with its results in module
 * variables made the float64 kernel about 3 times slower.
 */
export function sumRow(x: Float64Array, base: number, classes: number, k: number, m: number, lim: number, qmax: number, skip = -1): void {
  let hiSum = 0;
  let errSum = 0;
  let loSum = 0;
  for (let j = 0; j < classes; j++) {
    const v = x[base + j];
    const dh = v - m;
    if (dh < lim || j === k || j === skip) continue;
    const bb = dh - v; // TwoSum(v, −m): dh + dl = v − m exactly
    const dl = v - (dh - bb) + (-m - bb);
    // exp(dh + dl) = 2^(kk/N) · exp(r), r = dh + dl − kk·ln2/N, |r| ≤ ln2/(2N)
    const kk = dh * INV_LN2_N + ROUNDER - ROUNDER;
    const r = dh - kk * L1 - kk * L2 + (dl - kk * L3);
    const ki = kk | 0;
    const i = ki & (N - 1);
    const e = qmax - (ki >> 8); // ki >> 8 = floor(kk / N): the power of two, relative to 2^qmax
    const s = e < 1076 ? POW2M[e] : 0;
    // expm1(r) to degree 6: the first term left out, r^7/7! < 2^−79 for |r| ≤ 0.00136.
    const p = r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720))))));
    const h = TH[i] * s;
    const t = hiSum + h; // TwoSum(hiSum, h)
    const bp = t - hiSum;
    errSum += hiSum - (t - bp) + (h - bp);
    hiSum = t;
    loSum += (TH[i] * p + TL[i]) * s;
  }
  sumHi = hiSum;
  sumErr = errSum;
  sumLo = loSum;
}

function accurateRow32(x: Float32Array, base: number, classes: number, target: number): number {
  let k = 0;
  for (let j = 1; j < classes; j++) if (x[base + j] > x[base + k]) k = j;
  const m = x[base + k];
  let s = 0;
  for (let j = 0; j < k; j++) s += Math.exp(x[base + j] - m);
  for (let j = k + 1; j < classes; j++) s += Math.exp(x[base + j] - m);
  return Math.fround(Math.log1p(s) + (m - x[base + target]));
}

export const accurateCrossEntropy: Pipeline = {
  name: 'accurate-cross-entropy',
  formula:
    'loss = (m − x[t]) + log1p(Σ_{j≠k} exp(x_j − m)); float64: exact differences, table exp and sums in double-double, subnormal scaling; float32: evaluated in float64, rounded once',
  /** A getter: accurate-grad.ts imports this module's helpers, so the binding may not be set yet while this one loads. */
  get grad(): PipelineGrad {
    return accurateCrossEntropyGrad;
  },
  float32(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) out[r] = accurateRow32(x, base, classes, targets[r]);
  },
  float64(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) out[r] = accurateRow64(x, base, classes, targets[r]);
  },
};
