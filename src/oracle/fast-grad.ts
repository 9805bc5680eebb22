/**
 * The oracle's fast tier for the gradient (issue 17): every component of the
 * cross-entropy gradient of one row, and the row's loss, from one pass of
 * double-double terms exp(x_j − m) with a rigorous error bound per component,
 * then a rounding test per component (Ziv 1991, as in `fast.ts` and `fast64.ts`).
 * A component the test cannot decide is left undecided (NaN) and the caller
 * (`oracleLossAndGradRounded` in `grad.ts`) falls back to the decimal.js tier
 * for the row, never to a guess (SPEC section 8).
 *
 * Definitions, exactly those of `grad.ts`: k the first maximum, m = x[k],
 * e_j = exp(x_j − m) (e_k = 1), S = Σ_j e_j = 1 + T ∈ [1, n],
 *
 *     g_j = p_j = e_j / S                       (j ≠ t, x_j finite),
 *     g_t = −Q / S,  Q = Σ_{j≠t} e_j             (1 − p_t as a sum: no cancellation),
 *     g_j = +0                                   (x_j = −Infinity),
 *     g_t = −1 for a masked target, +0 when every other class is masked.
 *
 * u = 2^−53, η = 2^−1074. The bound, step by step:
 *
 * 1. The terms (`shiftedSum64`, fast64.ts steps 2–4, one pass shared with the
 *    loss): e_j = 2^q_j·(H_j + L_j)·(1 + θ_j), |θ_j| ≤ ρ_j = 1.001·expRel_j, the
 *    unscaled H_j + L_j ∈ [0.49, 2.1] keeping its relative accuracy whatever the
 *    size of e_j (the scaling by 2^q_j is applied to the rounded answer, never to
 *    the terms, so a component near or below the subnormal range loses nothing).
 *    A term with x_j − m < −760 is < 2^−1096: its component is below η/2, half the
 *    smallest subnormal of every format, and rounds to +0 (S ≥ 1).
 * 2. S = 1 + T: T = Th + Tl within ET (fast64.ts step 5); 1 + Th by TwoSum (exact),
 *    the low parts in one rounding (u of at most 2u·S), so |S − Ŝ| ≤ E_S =
 *    ET + u·(|e| + |Tl|), and σ = E_S/(Ŝ − E_S) bounds |S − Ŝ|/S (S ≥ 1).
 * 3. g_j (j ≠ t) = 2^q_j·V with V = (H_j + L_j)/Ŝ by `divDD` (relative 2^−98):
 *    the exact e'_j/S = V·(1 + θ) with |θ| ≤ (ρ_j + σ)/(1 − σ) + 2^−98 (first order
 *    in ρ, σ, both checked to be below 2^−40: the factor 1 + 2^−20 on the bound covers
 *    the second order; a larger one leaves the component undecided).
 * 4. g_t: when t = k, Q = T = Th + Tl within ET, relative ρ_Q = ET/(Th − ET); when
 *    T ≥ 2^−900 and ρ_Q < 2^−40, −Q/S as in 3. Below 2^−900, ET is dominated by the
 *    absolute 2η of terms scaled below 2^−960 (and terms counted as 0), too coarse
 *    near the subnormal range: T is summed again from the kept terms at 2^1100
 *    (`shiftedSum64` with rescale 1100, its bound derived there; every q_j ≤ −897
 *    as e_j ≤ T, so no term is subnormal there, and a term counted as 0 weighs 16),
 *    plus 1 for T/S = T − T²/S (T² < 2^−1798), which keeps a subnormal 1 − p_t's
 *    accuracy. Otherwise undecided. When t ≠ k,
 *    Q = Ŝ − ê_t ≥ 1 in double-double (ê_t scaled: 2η absolute; the low parts'
 *    two roundings ≤ 2u·(|qe| + |Sl| + |ê_tl|)), with E_Q = E_S + ρ_t·ê_t + that + 3η,
 *    relative E_Q/(Q̂ − E_Q); then −Q/S as in 3.
 * 5. The rounding test (`roundOnGrid`): for a value 2^q·(vh + vl) known within
 *    2^q·E, the format's grid near it has spacing G = 2^max(e − p + 1, σ − q) in
 *    the unscaled units (e the exponent of vh + vl, p the precision, 2^σ the
 *    smallest subnormal: the subnormal spacing is what G becomes below the normal
 *    range). c = the multiple of G nearest vh + vl; the remainder R = vh + vl − c
 *    (exact, by TwoSum, then one rounding of u·|R|). c·2^q is the correctly rounded
 *    component when R + E < G/2 and R − E > −G/2 (−G/4 when c is a power of two
 *    and the grid below it is finer), strictly: a component on a midpoint
 *    (a tie) is never decided here. The comparisons are made on R/G and E/G
 *    (exact scalings by a power of two, plus 2^−1000 for an underflow).
 *
 * The loss comes from the same T: `lossFromSum64` for float64 (fast64.ts steps
 * 6–8), `lossFromSum` for the formats of at most 24 bits (fast.ts steps 4–5,
 * with T̂ = fl(Th + Tl) and u·T̂ added to ET).
 */
import type { AnyDtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { fastTierServes, lossFromSum } from './fast.js';
import { DIV_DD_REL, ddQuotient, divDD, firstMax, lossFromSum64, shiftedSum64 } from './fast64.js';

const U = 2 ** -53;
const ETA = 2 ** -1074;
/** Below this T (and with T's bound dominated by absolute errors), T is summed again at 2^1100 (step 4). */
const TINY_T = 2 ** -900;

/** Scratch for the terms (grows, never shrinks): 4 doubles per class. */
let keep = new Float64Array(0);

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
/** floor(log2 v) of a normal double v > 0, from its bits. */
function exponentOf(v: number): number {
  F64[0] = v;
  return ((U32[1] >>> 20) & 0x7ff) - 1023;
}
function isPowerOfTwo(v: number): boolean {
  F64[0] = v;
  return (U32[1] & 0xfffff) === 0 && U32[0] === 0;
}

/**
 * Step 5: the value 2^q·(vh + vl) ≥ 0, known within 2^q·E, correctly rounded to
 * the format of `precision` bits whose smallest subnormal is 2^sigma, or NaN when
 * the interval holds a rounding midpoint (E = Infinity never decides).
 * q ≤ 0 and 2^q·(vh + vl) ≤ 4; vh + vl itself may be far larger when q < 0
 * (the rescaled T of a tiny maximum target, q = −1100: up to 2^200).
 */
export function roundOnGrid(vh: number, vl: number, E: number, q: number, precision: number, sigma: number): number {
  const s = vh + vl;
  // Below half the smallest subnormal, 2^(σ−1): +0 (where 2^(σ−q) may not even be a double).
  if (s * (1 + 2 ** -50) + E < 2 ** Math.min(sigma - 1 - q, 1023)) return 0;
  const bb = s - vh;
  const rem = vh - (s - bb) + (vl - bb);
  const lg = s >= 2 ** -1022 ? exponentOf(s) : -1100;
  const gexp = Math.max(lg - precision + 1, sigma - q);
  const G = 2 ** gexp;
  const c = gexp <= lg - 52 ? s : Math.floor(s / G + 0.5) * G;
  const R = s - c + rem;
  const rn = R / G;
  const B = ((E + U * Math.abs(R)) / G) * (1 + 2 ** -50) + 2 ** -1000;
  if (!(rn + B < 0.5)) return NaN;
  // The grid just below a power of two c = 2^ec has spacing 2^max(ec − p, σ − q): G/2 or G.
  const halfBelow = c !== 0 && isPowerOfTwo(c) ? 2 ** Math.max(exponentOf(c) - precision, sigma - q) / G / 2 : 0.5;
  if (c !== 0 && !(rn - B > -halfBelow)) return NaN;
  return c === 0 ? 0 : c * 2 ** (q + 100) * 2 ** -100;
}

/** What `fastLossAndGrad` decided. */
export interface FastLossAndGrad {
  /** The correctly rounded loss, or undefined when the loss's rounding test did not decide it. */
  readonly loss: number | undefined;
  /** Components left undecided (NaN in the gradient): 0 when the whole gradient is decided. */
  readonly undecided: number;
}

/**
 * The fast tier's loss and gradient of one row: writes g_j correctly rounded to
 * `dtype` into `grad[j]` where the rounding test decides it, NaN where it does not.
 *
 * @param row - logits, length n ≥ 1, values of `dtype` held in doubles (finite or −Infinity), at least one finite
 * @param target - index of the target class, 0 ≤ target < n (it may be masked: loss +Infinity, g_t = −1)
 * @param dtype - any of the four formats
 * @param grad - output, length n
 * @throws RangeError for a fully masked row (it has no gradient; SPEC 6 gives its loss a convention)
 */
export function fastLossAndGrad(row: ArrayLike<number>, target: number, dtype: AnyDtype, grad: Float64Array): FastLossAndGrad {
  const n = row.length;
  const k = firstMax(row);
  if (k < 0) throw new RangeError('fastLossAndGrad: every logit is −Infinity (a fully masked row)');
  const m = row[k];
  if (keep.length < 4 * n) keep = new Float64Array(4 * n);
  const sum = shiftedSum64(row, k, m, keep);
  const { Th, Tl, ET } = sum;

  // The loss, from the same T.
  const xt = row[target];
  let loss: number | undefined;
  if (xt === -Infinity) loss = Infinity;
  else {
    const Dh = m - xt;
    if (Dh === Infinity) loss = Infinity; // float64 only: the exact D is beyond the overflow threshold
    else {
      const bD = Dh - m;
      const Dl = m - (Dh - bD) + (-xt - bD);
      if (fastTierServes(dtype)) {
        const T = Th + Tl;
        loss = lossFromSum(Dh, Dl, sum.terms, T, (ET + U * T) * (1 + 2 ** -50), dtype).rounded;
      } else loss = lossFromSum64(Dh, Dl, sum).rounded;
    }
  }

  // Step 2: S = Sh + Sl within ES, σ its relative bound.
  const s1 = 1 + Th;
  const b1 = s1 - 1;
  const e1 = 1 - (s1 - b1) + (Th - b1);
  const l1 = e1 + Tl;
  const Sh = s1 + l1;
  const Sl = l1 - (Sh - s1);
  const ES = ET + U * (Math.abs(e1) + Math.abs(Tl));
  const sigma = (ES / (Sh - ES)) * (1 + 2 ** -50);
  const fmt = formatOf(dtype);
  const p = fmt.precision;
  const sig = Math.round(Math.log2(fmt.minSubnormal));
  // First-order bounds need small ρ and σ (step 3): otherwise nothing is decided.
  const widen = sigma < 2 ** -40 ? 1 + 2 ** -20 : Infinity;

  let undecided = 0;
  for (let j = 0; j < n; j++) {
    if (j === target) continue;
    if (row[j] === -Infinity) {
      grad[j] = 0;
      continue;
    }
    let H = 1;
    let L = 0;
    let q = 0;
    let rho = 0;
    if (j !== k) {
      H = keep[4 * j];
      if (H === 0) {
        grad[j] = 0; // x_j − m < −760: below η/2 (step 1)
        continue;
      }
      // Renormalised (|L| ≤ ulp(H)/2, exact: |keep[4j+1]| < keep[4j]), as divDD needs.
      const h0 = H;
      const l0 = keep[4 * j + 1];
      H = h0 + l0;
      L = l0 - (H - h0);
      q = keep[4 * j + 2];
      rho = keep[4 * j + 3] * 1.001;
      if (!(rho < 2 ** -40)) rho = Infinity;
    }
    // Step 3.
    divDD(H, L, Sh, Sl);
    const vh = ddQuotient[0];
    const vl = ddQuotient[1];
    const E = ((rho + sigma) / (1 - sigma) + DIV_DD_REL) * (Math.abs(vh) + Math.abs(vl)) * widen;
    const g = roundOnGrid(vh, vl, E, q, p, sig);
    grad[j] = g;
    if (g !== g) undecided++;
  }

  // Step 4: the target.
  let gt: number;
  if (xt === -Infinity) gt = -1;
  else if (sum.terms === 0) gt = 0; // every other class masked: p_t = 1
  else {
    let vh: number;
    let vl: number;
    let E: number;
    let q = 0;
    if (target === k) {
      const rhoQ = Th > ET ? ET / (Th - ET) : Infinity;
      if (Th >= TINY_T && rhoQ < 2 ** -40) {
        divDD(Th, Tl, Sh, Sl);
        vh = ddQuotient[0];
        vl = ddQuotient[1];
        E = ((rhoQ + sigma) / (1 - sigma) + DIV_DD_REL) * (Math.abs(vh) + Math.abs(vl)) * widen;
      } else if (Th < TINY_T) {
        // T's bound carries the absolute 2η of terms scaled below 2^−960 (and terms counted as 0),
        // too coarse near the subnormal range: T summed again from the kept terms, scaled by 2^1100
        // (`shiftedSum64` with rescale: no term is then subnormal, every q_j ≤ −900 as e_j ≤ T), so T
        // keeps its relative accuracy, its bound ET derived there; T/S = T within T² < 2^−1798 (< 1 scaled).
        const scaled = shiftedSum64(row, k, m, keep, 1100);
        vh = scaled.Th;
        vl = scaled.Tl;
        E = (scaled.ET + 1) * widen;
        q = -1100;
      } else {
        vh = Th;
        vl = Tl;
        E = Infinity; // not decided here
      }
    } else {
      // Q = Ŝ − ê_t ≥ 1.
      const Ht = keep[4 * target];
      const scale = 2 ** keep[4 * target + 2];
      const eth = Ht === 0 ? 0 : Ht * scale;
      const etl = Ht === 0 ? 0 : keep[4 * target + 1] * scale;
      const rhoT = Ht === 0 ? 0 : keep[4 * target + 3] * 1.001;
      const qh0 = Sh - eth;
      const bq = qh0 - Sh;
      const qe = Sh - (qh0 - bq) + (-eth - bq);
      const ql0 = qe + Sl - etl;
      const Qh = qh0 + ql0;
      const Ql = ql0 - (Qh - qh0);
      const EQ = (ES + rhoT * (eth + Math.abs(etl)) + 2 * U * (Math.abs(qe) + Math.abs(Sl) + Math.abs(etl)) + 3 * ETA) * widen;
      // Q ≥ 1 and EQ ≪ 1 whenever `widen` is finite, so Qh > EQ; guarded as T's case above (review).
      const rhoQ = Qh > EQ ? EQ / (Qh - EQ) : Infinity;
      divDD(Qh, Ql, Sh, Sl);
      vh = ddQuotient[0];
      vl = ddQuotient[1];
      E = ((rhoQ + sigma) / (1 - sigma) + DIV_DD_REL) * (Math.abs(vh) + Math.abs(vl)) * widen;
    }
    const r = roundOnGrid(vh, vl, E, q, p, sig);
    gt = -r;
    if (r !== r) undecided++;
  }
  grad[target] = gt;
  return { loss, undecided };
}
