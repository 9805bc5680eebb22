/**
 * The oracle's fast tier (issue 17, first part: the loss in float32, float16 and
 * bfloat16): the cross-entropy loss of one row enclosed in an interval by double
 * arithmetic with a rigorous error bound, then the rounding test of Ziv's strategy
 * (Ziv, "Fast evaluation of elementary mathematical functions with correctly
 * rounded last bit", ACM TOMS 17(3), 1991; the shape of CORE-MATH's functions: a
 * fast path with a proven bound, a rounding test, a slow path). When both ends of
 * the interval round to the same value of the dtype, that value is the correctly
 * rounded loss (rounding to nearest is monotone, so every value between them
 * rounds to it too); otherwise the caller falls back to the decimal.js tier
 * (`loss.ts`), never to a guess (SPEC section 8).
 *
 * Method. With k an index of the first maximum m, t the target and D = m − x[t] ≥ 0,
 *
 *     loss = D + log1p(T),   T = Σ_{j≠k} exp(x_j − m) ∈ [0, n − 1],
 *
 * the form of `loss.ts` (no overflow: every exp argument is ≤ 0; no cancellation:
 * both parts are ≥ 0). Each step below is evaluated in binary64 (unit roundoff
 * u = 2^−53) and its error bounded; η = 2^−1074 is the smallest subnormal, which
 * bounds the absolute error of a result that lands in the subnormal range.
 *
 * 1. D = Dh + Dl and x_j − m = dh + dl exactly, by TwoSum (Knuth, TAOCP vol. 2,
 *    4.2.2): the difference of two values of a 24-bit format can need hundreds of bits.
 * 2. ê_j = Math.exp(dh). V8's Math.exp is fdlibm's e_exp.c, whose stated error is
 *    < 1 ulp; we allow 2 ulps: |ê_j − e^dh| ≤ 2^−51·e^dh + 2η. Leaving out e^dl:
 *    |e^dl − 1| ≤ 1.01·|dl| (|dl| ≤ u·|dh| ≤ 2^−42 for |dh| < 2^11; terms with a
 *    larger |dh| are 0 or η, which the 2η covers). Per term, relative R = 2^−51 +
 *    1.01·max|dl| (over the terms with dh > −746; below, e^(dh + dl) < η/2 and
 *    Math.exp gives 0, inside the absolute part), absolute 2η.
 * 3. T̂ = the recursive sum of the ê_j: |T̂ − Σ ê_j| ≤ γ_{n}·Σ ê_j with γ_n =
 *    n·u/(1 − n·u) (Higham, "Accuracy and Stability of Numerical Algorithms",
 *    2nd ed., 2002, eq. (4.4); every term is ≥ 0). With Σ ê_j ≤ T̂/(1 − γ_n), the
 *    exact T lies within E_T = γ_n·T̂/(1 − γ_n) + R/(1 − R)·(T̂/(1 − γ_n) + 2nη) + 2nη of T̂.
 * 4. log1p is increasing, so log1p(T) ∈ [log1p(T̂ − E_T), log1p(T̂ + E_T)]; those
 *    arguments are rounded outward, and Math.log1p (fdlibm's s_log1p.c, stated
 *    error < 1 ulp; we allow 2) is widened by 2 ulps.
 * 5. loss = Dh + (Dl + log1p(T)): each sum of the interval's ends is widened
 *    outward by 1 ulp (a correctly rounded sum is within half an ulp).
 * Every widening is "v ± (|v|·2^−52·k + k·η)", which covers k ulps of a normal v
 * and k ulps of a subnormal one; the bound's own arithmetic is made an upper
 * bound by a final factor (1 + 2^−40), far above its few roundings of 2^−53.
 *
 * The interval is about n·2^−52 wide, relative: for a 24-bit format it decides
 * every loss except those within about n·2^−52 of a rounding midpoint (a share
 * near n·2^−28 of random losses), and the exact midpoints (a loss equal to the
 * midpoint of two float16 values), which go to the slow tier. float64 is not
 * served here: its midpoints are 2^−53 apart, below this tier's resolution; its
 * fast tier is `fast64.ts` (double-double).
 *
 * Special cases: a masked target (x[t] = −Infinity) has loss +Infinity exactly
 * (the caller's, as in `loss.ts`); masked classes (−Infinity) contribute 0 and
 * are not counted in n; a loss beyond the format's range rounds to +Infinity in
 * both ends of the interval; a row whose m − x[t] overflows a double (values
 * outside the format) has loss +Infinity, answered before step 2.
 */
import type { AnyDtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { fastLoss64, firstMax } from './fast64.js';

/** The smallest subnormal double, 2^−1074. */
const ETA = 2 ** -1074;
/** u = 2^−53, the unit roundoff of binary64. */
const U = 2 ** -53;
/** One ulp of a normal double v is at most |v|·2^−52. */
const ULP_REL = 2 ** -52;
/** A safety factor on the error bound for the roundings of the bound's own arithmetic (a few of 2^−53 each). */
const BOUND_SLACK = 1 + 2 ** -40;
/** Ulps allowed to Math.exp and Math.log1p (fdlibm states < 1). */
const LIBM_ULPS = 2;
/** Rows wider than this are not served (γ_n must stay well below 1; every row the harness makes is far smaller). */
const MAX_CLASSES = 2 ** 30;

/** v widened down by k ulps (normal or subnormal). */
export function down(v: number, k: number): number {
  return v - (Math.abs(v) * ULP_REL * k + k * ETA);
}
/** v widened up by k ulps (normal or subnormal). */
export function up(v: number, k: number): number {
  return v + Math.abs(v) * ULP_REL * k + k * ETA;
}

/** The loss's enclosing interval and whether it decided the rounding (for the verification script). */
export interface FastLoss {
  /** The correctly rounded loss when the interval decides it, else undefined. */
  readonly rounded: number | undefined;
  /** The interval: the exact loss lies in [lo, hi]. */
  readonly lo: number;
  readonly hi: number;
}

/** Formats this double-arithmetic tier serves: every format of at most 24 bits of precision (the interval is ~n·2^−52 wide); float64 has `fast64.ts`. */
export function fastTierServes(dtype: AnyDtype): boolean {
  return formatOf(dtype).precision <= 24;
}

/**
 * The fast tier in any format: the correctly rounded loss, or undefined when the
 * rounding test cannot decide it (then the decimal.js tier must). Formats of at
 * most 24 bits: `fastLoss` (double arithmetic); float64: `fastLoss64`
 * (double-double). A masked target (−Infinity) gives +Infinity.
 */
export function fastLossRounded(row: ArrayLike<number>, target: number, dtype: AnyDtype): number | undefined {
  if (row[target] === -Infinity) return Infinity; // a masked target: +Infinity exactly
  return fastTierServes(dtype) ? fastLoss(row, target, dtype).rounded : fastLoss64(row, target).rounded;
}

/**
 * The fast tier for one row: the correctly rounded loss in `dtype` when the
 * rounding test decides it, else `rounded` is undefined (use the slow tier).
 * `row` holds values of `dtype` (finite, or −Infinity for a masked class) and
 * its target is not masked; the caller checks both (`oracleLossRounded`).
 *
 * @param row - logits, length n ≥ 1, values of `dtype` held in doubles
 * @param target - index of the target class, 0 ≤ target < n, row[target] finite
 * @param dtype - a format with at most 24 bits of precision (`fastTierServes`)
 */
export function fastLoss(row: ArrayLike<number>, target: number, dtype: AnyDtype): FastLoss {
  const n = row.length;
  const k = firstMax(row);
  const m = row[k];
  // Step 1: D = m − x[t] exactly as Dh + Dl (TwoSum).
  const xt = row[target];
  const Dh = m - xt;
  // m − x[t] rounded to +Infinity (only for values outside a ≤ 24-bit format, which the callers of the
  // exported oracle may pass): the exact D, and so the loss, is at least the double overflow threshold,
  // far beyond the format's. Without this, Dl and the interval's ends are NaN.
  if (Dh === Infinity) return { rounded: Infinity, lo: Infinity, hi: Infinity };
  const bv = Dh - m;
  const Dl = m - (Dh - bv) + (-xt - bv);
  // Steps 2 and 3.
  let T = 0;
  let terms = 0;
  let maxDl = 0;
  for (let j = 0; j < n; j++) {
    const x = row[j];
    if (j === k || x === -Infinity) continue;
    const dh = x - m;
    const b = dh - x;
    const dl = x - (dh - b) + (-m - b);
    // Below −746, e^(dh + dl) < η/2 whatever dl is (|dl| ≤ u·|dh|): Math.exp gives 0, within the 2η of step 2.
    const adl = dh > -746 ? Math.abs(dl) : 0;
    if (adl > maxDl) maxDl = adl;
    T += Math.exp(dh);
    terms++;
  }
  if (terms > MAX_CLASSES) return { rounded: undefined, lo: -Infinity, hi: Infinity };
  let ET = 0;
  if (terms > 0) {
    const nu = terms * U;
    const gamma = nu / (1 - nu);
    const sumBound = T / (1 - gamma);
    const R = LIBM_ULPS * ULP_REL + 1.01 * maxDl;
    const absTerms = 2 * terms * ETA;
    ET = (gamma * sumBound + (R / (1 - R)) * (sumBound + absTerms) + absTerms) * BOUND_SLACK;
  }
  return lossFromSum(Dh, Dl, terms, T, ET, dtype);
}

/**
 * Steps 4 and 5: the loss Dh + Dl + log1p(T) of a row with `terms` unmasked classes
 * besides its maximum, from D = Dh + Dl (exact) and |T − T̂| ≤ ET, with the rounding
 * test in `dtype` (at most 24 bits of precision).
 */
export function lossFromSum(Dh: number, Dl: number, terms: number, T: number, ET: number, dtype: AnyDtype): FastLoss {
  const fmt = formatOf(dtype);
  let ylo = 0;
  let yhi = 0;
  if (terms > 0) {
    // Step 4: the arguments rounded outward, then log1p widened by LIBM_ULPS.
    const tlo = Math.max(0, down(T - ET, 1));
    const thi = up(T + ET, 1);
    ylo = Math.max(0, down(Math.log1p(tlo), LIBM_ULPS));
    yhi = up(Math.log1p(thi), LIBM_ULPS);
  }
  // Step 5: Dh + (Dl + y), each sum widened by 1 ulp.
  // The loss is ≥ 0 (D ≥ 0, log1p(T) ≥ 0): the lower end is clamped there, so a zero loss rounds to +0 at both ends.
  const lo = terms > 0 || Dl !== 0 ? Math.max(0, down(Dh + down(Dl + ylo, 1), 1)) : Dh;
  const hi = terms > 0 || Dl !== 0 ? up(Dh + up(Dl + yhi, 1), 1) : Dh;
  const rlo = fmt.round(lo);
  const rhi = fmt.round(hi);
  // A NaN end (not reachable from finite D and T, but cheap to rule out) never decides.
  return { rounded: rlo === rlo && Object.is(rlo, rhi) ? rlo : undefined, lo, hi };
}
