/**
 * The correctly rounded cross-entropy loss of one row: the oracle.
 *
 * Method. With k an index of the maximum m and D = m − x[t] ≥ 0,
 *
 *     loss = logsumexp(x) − x[t] = D + log1p(T),   T = Σ_{j≠k} exp(x_j − m) ∈ [0, n − 1].
 *
 * This shifted form has no exponent-range limit (every exp argument is ≤ 0, so no
 * term exceeds 1) and no cancellation (both parts are ≥ 0), so its relative error
 * is the largest relative error of its parts. Every input is taken at its exact
 * binary value (`exact.ts`); the parts are computed in decimal.js at P significant
 * digits with a rigorous relative error bound δ(P), and the loss is known to lie
 * in [L(1 − δ), L(1 + δ) + dropped]. When both ends round to the same value of the
 * dtype, that value is the correctly rounded loss; otherwise P doubles (Ziv's
 * strategy, "Fast evaluation of elementary mathematical functions with correctly
 * rounded last bit", ACM TOMS 1991). Subnormal and overflowing losses need no
 * special case: rounding the decimal handles both.
 *
 * Special cases: a masked class (x_j = −Infinity) contributes exp(−∞) = 0; a
 * target at −Infinity has loss +Infinity; the inputs hold no NaN or +Infinity
 * (the cases reader refuses them).
 */
import { pulse } from '../supervise/heartbeat.js';
import { Decimal } from 'decimal.js';
import type { AnyDtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { exactDecimal, exactDecimalString, roundDecimal } from './exact.js';
import { fastLossRounded } from './fast.js';
import { fastTierOn } from './tier.js';

export interface OracleResult {
  /** The exact loss correctly rounded to the dtype (ties to even). */
  readonly rounded: number;
  /** The exact loss to at least 30 significant digits, or "Infinity". */
  readonly exact: string;
  /** The exact loss as the nearest double (for absolute and relative errors). */
  readonly approx: number;
  /** Significant digits the last iteration worked at. */
  readonly digits: number;
}

/**
 * First working precision, in significant digits. δ(P) below is at most about
 * (n + |d|max + 10^6) · 10^(2−P); at P = 48 that is < 10^−33 for every row the
 * harness makes (n ≤ 10^5 classes, |x_j − m| ≤ 2·10^16 for a computed term), which
 * decides the rounding of all but near-midpoint losses in one pass and leaves
 * `exact` 30 correct digits.
 */
const FIRST_DIGITS = 48;
/** Ziv's loop stops here: no loss of a binary64 input needs more (the worst midpoint distance is far larger). */
const MAX_DIGITS = 6144;
/** The last working precision of Ziv's loop. */
export const ORACLE_MAX_DIGITS = MAX_DIGITS;
/** Digits printed in `exact`: SPEC section 4 asks for at least 30. */
const EXACT_DIGITS = 34;
/** Significant digits of every `exact` the oracles print. */
export const ORACLE_EXACT_DIGITS = EXACT_DIGITS;
/**
 * exp(d) for d < −2·10^16 is below 10^(−8.6·10^15), under decimal.js's smallest
 * exponent (−9·10^15); such terms go to the `dropped` bound instead.
 */
const EXP_FLOOR = -2e16;
/**
 * An upper bound for the terms under EXP_FLOOR together, as an absolute amount:
 * each is below e^(−2·10^16) < 10^(−8.68·10^15), and a row has fewer than 10^10
 * classes, so together they are below 10^(−8·10^15), which decimal.js represents
 * (minE −9·10^15). It must be that small, not merely below every subnormal: the
 * options oracles multiply it by coefficients up to about 2^2100 (a float64 class
 * weight times a soft target) and compare it with exact dyadic parts down to
 * 2^−4300 (batch.ts, boundary.ts); with 10^−1000 a float64 row with weight 2^700
 * and soft target 2^600 was undecidable at every precision (found in review).
 */
export const NEGLIGIBLE = '1e-8000000000000000';
/** The precision ln() of decimal.js reaches without its ln 10 constant's 1,025 digits (see log1p). */
const LN_DIRECT_MAX_DIGITS = 1000;
/** Below this T, log1p(T) comes from its series; above it from ln(1 + T), which loses at most 5 digits to cancellation. */
const SERIES_BELOW = 1e-5;

const constructors = new Map<number, typeof Decimal>();
/** A decimal.js constructor working at `digits` significant digits, ties to even (one per precision, cached). */
export function workingDecimal(digits: number): typeof Decimal {
  let D = constructors.get(digits);
  if (D === undefined) {
    D = Decimal.clone({ precision: digits, rounding: Decimal.ROUND_HALF_EVEN, minE: -9e15, maxE: 9e15 });
    constructors.set(digits, D);
  }
  return D;
}

/**
 * log1p(t) at the constructor's precision, relative error ≤ 10^(6−P) (see SERIES_BELOW).
 *
 * Above LN_DIRECT_MAX_DIGITS, decimal.js's ln needs ln 10 to more digits than its
 * constant holds (1,025) whenever its argument reduction leaves a power of ten, which
 * it does for 1 + t above about 1.4 ("Precision limit exceeded"); there y = 1 + t is
 * reduced by square roots into (1, 1.25], where ln needs no constant, and
 * ln y = 2^s·ln(y^(1/2^s)). Error: each square root at P digits adds a relative error
 * ≤ 10^(1−P)/2 and halves the one before, so z = y^(1/2^s) is within 10^(1−P)
 * relatively and ln z within 10^(1−P) + 10^(1−P)/2·ln z absolutely; relative to
 * ln z ≥ ln(1.25)/2 > 0.11 that is below 10^(2.1−P), inside the bound above.
 */
export function log1p(t: Decimal, D: typeof Decimal): Decimal {
  if (t.isZero()) return t;
  if (t.gte(SERIES_BELOW)) {
    let y = t.plus(1);
    if (D.precision <= LN_DIRECT_MAX_DIGITS) return y.ln();
    let s = 0;
    const top = new D('1.25');
    while (y.gt(top)) {
      y = y.sqrt();
      s++;
    }
    return y.ln().times(new D(2).pow(s));
  }
  // t − t²/2 + t³/3 − …: alternating with decreasing terms, so the error is below
  // the first term left out, which we stop at below t · 10^−(P+2).
  const stop = t.times(new D(10).pow(-(D.precision + 2)));
  let sum = new D(t);
  let power = new D(t);
  for (let i = 2; ; i++) {
    power = power.times(t);
    const term = power.div(i);
    if (term.lt(stop)) break;
    sum = i % 2 === 0 ? sum.minus(term) : sum.plus(term);
  }
  return sum;
}

/**
 * What the loss oracle computes for one row, fixed before any decimal arithmetic:
 * which terms exp(x_j − m) it sums (`summed`, in index order; the rest are
 * `dropped` and bounded), and the exact decimal strings of the inputs.
 */
export interface LossPlan {
  readonly n: number;
  readonly dtype: AnyDtype;
  /** The working precision the window W was chosen for: dropped terms are below 10^−(digits+10)·T. */
  readonly digits: number;
  /** Index of the first maximum, and the maximum. */
  readonly k: number;
  readonly m: number;
  readonly xt: number;
  /** The j ≠ k whose terms are summed, in index order. */
  readonly summed: readonly number[];
  readonly droppedCount: number;
  /** max |x_j − m| over the summed terms (the bound δ grows with it). */
  readonly maxAbsD: number;
  readonly mExact: string;
  readonly tExact: string;
  /** Exact decimal strings of the summed logits, by index. */
  readonly exact: ReadonlyMap<number, string>;
}

/**
 * The loss oracle's plan for one row (the target is not at −Infinity). Which
 * terms to compute: with g = the largest x_j − m over j ≠ k, T ≥ exp(g), and a
 * term with x_j − m < g − W adds less than exp(−W) · T. W makes the dropped
 * terms together < 10^−(digits+10) · T, `digits` the working precision (each
 * step of Ziv's loop plans again, so the bound shrinks with the precision). The differences are taken in
 * double: their error is below 2.3·10^−16 of each magnitude, which the margin
 * absorbs.
 */
export function lossPlan(row: ArrayLike<number>, target: number, dtype: AnyDtype, digits = FIRST_DIGITS): LossPlan {
  const n = row.length;
  let k = -1;
  for (let j = 0; j < n; j++) if (row[j] > -Infinity && (k < 0 || row[j] > row[k])) k = j;
  const m = row[k];
  let g = -Infinity;
  for (let j = 0; j < n; j++) if (j !== k && row[j] - m > g) g = row[j] - m;
  const W = (digits + 10) * Math.LN10 + Math.log(n) + 1;
  const summed: number[] = [];
  const exact = new Map<number, string>();
  let droppedCount = 0;
  let maxAbsD = 0;
  for (let j = 0; j < n; j++) {
    if (j === k || row[j] === -Infinity) continue;
    const d = row[j] - m;
    const margin = 4.5e-16 * (Math.abs(d) + Math.abs(g));
    if (d < g - W - margin || d < EXP_FLOOR) {
      droppedCount++;
      continue;
    }
    maxAbsD = Math.max(maxAbsD, Math.abs(d));
    summed.push(j);
    exact.set(j, exactDecimalString(row[j]));
  }
  return { n, dtype, digits, k, m, xt: row[target], summed, droppedCount, maxAbsD, mExact: exactDecimalString(m), tExact: exactDecimalString(row[target]), exact };
}

/**
 * The error bounds of one step of Ziv's loop at `digits` (constructor `D`): every
 * −log p_c = (m − x_c) + log1p(T) of the row computed from this T lies in
 * [L(1 − delta), L(1 + delta) + dropped] (derivation in {@link lossStep}).
 */
export function lossBounds(plan: LossPlan, digits: number, D: typeof Decimal, T: Decimal): { delta: Decimal; dropped: Decimal } {
  // Relative error bound of L: each difference x_j − m is rounded (relative
  // 10^(1−P)), which exp turns into a relative error of |x_j − m| · 10^(1−P);
  // exp is correctly rounded and the n sums add 10^(1−P) each; log1p adds
  // 10^(6−P) (SERIES_BELOW); the final sum adds 10^(1−P). A factor 4 covers the
  // second-order terms.
  const delta = new D(10).pow(1 - digits).times(4 * (plan.maxAbsD + plan.n + 1e5 + 2));
  let dropped = new D(0);
  if (plan.droppedCount > 0) {
    // The dropped terms: < 10^−(plan.digits+10) · T each group, or < NEGLIGIBLE if they sat under EXP_FLOOR.
    dropped = T.times(new D(10).pow(-(plan.digits + 10))).plus(NEGLIGIBLE);
  }
  return { delta, dropped };
}

/**
 * exp(x − m) at the constructor's precision for x given by its exact decimal
 * string, mD = m; equal logits (tied classes) share one evaluation and one
 * result object (the same value: the operations are deterministic).
 */
export function expMemo(D: typeof Decimal, mD: Decimal): (xExact: string) => Decimal {
  const seen = new Map<string, Decimal>();
  return (xExact) => {
    let e = seen.get(xExact);
    if (e === undefined) seen.set(xExact, (e = new D(xExact).minus(mD).exp()));
    return e;
  };
}

/** T = Σ exp(x_j − m) over `plan.summed` at the constructor's precision, with mD = m. */
export function shiftedSumDecimal(plan: LossPlan, D: typeof Decimal, mD: Decimal): Decimal {
  const exp = expMemo(D, mD);
  let T = new D(0);
  for (const j of plan.summed) T = T.plus(exp(plan.exact.get(j)!));
  return T;
}

/**
 * One step of Ziv's loop at `digits` significant digits (constructor `D`), given
 * mD = m and T = Σ exp(x_j − m) over `plan.summed`, computed at that precision:
 * the correctly rounded loss when the bounds decide it, otherwise undefined
 * (double the digits and try again); throws at MAX_DIGITS (SPEC 8: never a guess).
 */
export function lossStep(plan: LossPlan, digits: number, D: typeof Decimal, mD: Decimal, T: Decimal): OracleResult | undefined {
  const { dtype, droppedCount } = plan;
  const dPart = mD.minus(plan.tExact); // D = m − x[t], relative error ≤ 10^(1−P)/2
  const l1p = log1p(T, D);
  const L = dPart.plus(l1p);
  const { delta, dropped } = lossBounds(plan, digits, D, T);
  const lo = L.times(new D(1).minus(delta));
  const hi = L.times(new D(1).plus(delta)).plus(dropped);
  const rlo = roundDecimal(lo, dtype);
  const rhi = roundDecimal(hi, dtype);
  if (!Object.is(rlo, rhi) && (droppedCount > 0 || !T.isZero())) {
    // A tail below minSubnormal/4 decides by its sign alone: D = m − x[t] is a multiple of
    // minSubnormal and every rounding midpoint a multiple of minSubnormal/2, so no midpoint
    // lies in (D, D + minSubnormal/4] and L ∈ (D, D + tail) rounds as D + minSubnormal/4
    // (up at a midpoint D, where Ziv's interval would straddle it at any precision).
    const eta = exactDecimal(formatOf(dtype).minSubnormal).div(4);
    if (l1p.times(new D(1).plus(delta)).plus(dropped).lt(eta)) {
      const dExact = exactDecimal(plan.m).minus(exactDecimal(plan.xt));
      return { rounded: roundDecimal(dExact.plus(eta), dtype), exact: dExact.toSignificantDigits(EXACT_DIGITS).toString(), approx: dExact.toNumber(), digits };
    }
  }
  if (Object.is(rlo, rhi)) {
    const exact = L.isZero() ? '0' : L.toSignificantDigits(EXACT_DIGITS).toString();
    return { rounded: rlo, exact, approx: L.toNumber(), digits };
  }
  // SPEC 8: never a guess. D = m − x[t] at a midpoint with a tail below minSubnormal/4 is decided
  // above; with a larger tail, 6144 digits resolve it (L < 2^1025, δ < 10^−6100·L). What is left
  // would be a hard case thousands of digits deep: none is known; the run stops rather than guess.
  if (digits >= MAX_DIGITS) throw new Error(`loss oracle: the ${dtype} loss of a row of ${plan.n} classes (maximum ${plan.m}, target logit ${plan.xt}) is not decided at ${MAX_DIGITS} digits; please report this row`);
  return undefined;
}

/** The loss of a row whose target is masked: +Infinity, exactly. */
export const MASKED_TARGET_LOSS: OracleResult = { rounded: Infinity, exact: 'Infinity', approx: Infinity, digits: 0 };

/** The first working precision; each step of Ziv's loop doubles it. */
export const ORACLE_FIRST_DIGITS = FIRST_DIGITS;

/**
 * The oracle for one row. `row` holds values of `dtype` (held in doubles, which
 * hold every format's values exactly); `target` indexes it. Any format of the
 * format table: the result is rounded once, directly, to `dtype`.
 */
export function oracleLoss(row: ArrayLike<number>, target: number, dtype: AnyDtype): OracleResult {
  pulse(); // the supervisor's watchdog: this thread is alive (supervise/heartbeat.ts)
  if (row[target] === -Infinity) return MASKED_TARGET_LOSS;
  for (let digits = FIRST_DIGITS; ; digits *= 2) {
    const plan = lossPlan(row, target, dtype, digits); // the window widens with the precision: what it drops shrinks with 10^−digits
    const D = workingDecimal(digits);
    const mD = new D(plan.mExact);
    const T = shiftedSumDecimal(plan, D, mD);
    const result = lossStep(plan, digits, D, mD, T);
    if (result !== undefined) return result;
  }
}

/**
 * The correctly rounded loss only (no `exact` digits): what fuzz, shrinking and the
 * map need. The fast tier (`fast.ts` for formats of at most 24 bits: double
 * arithmetic; `fast64.ts` for float64: double-double; both with a rigorous error
 * bound and the rounding test) answers when it can decide the rounding; otherwise
 * the decimal.js tier above does. Same answer as
 * `oracleLoss(row, target, dtype).rounded`, bit for bit (tested in fast.test.ts;
 * `scripts/verify-oracle.ts` compares the tiers on many cases).
 *
 * @param row - logits, length n ≥ 1, values of `dtype` held in doubles (finite, or −Infinity for a masked class)
 * @param target - index of the target class, 0 ≤ target < n
 * @param dtype - the format to round to
 * @returns the loss correctly rounded to `dtype`, +Infinity for a masked target
 * @throws RangeError when the target is not a class of the row or a logit is NaN or +Infinity (`checkOracleRow`)
 */
export function oracleLossRounded(row: ArrayLike<number>, target: number, dtype: AnyDtype): number {
  return oracleLossRoundedTier(row, target, dtype).rounded;
}

/**
 * The oracle's domain, checked before the fast tier answers (found in review: the fast tier returned NaN or a
 * number for rows the slow tier refuses): logits finite or −Infinity (a masked class), the target an index of
 * the row. Throws a RangeError naming what is wrong, as the decimal.js tier does.
 */
export function checkOracleRow(row: ArrayLike<number>, target: number): void {
  if (!Number.isInteger(target) || target < 0 || target >= row.length) throw new RangeError(`oracle: target ${target} is not a class of a row of ${row.length}`);
  for (let j = 0; j < row.length; j++) {
    const x = row[j];
    if (Number.isNaN(x) || x === Infinity) throw new RangeError(`oracle: logit ${j} is ${x}; logits are finite or −Infinity (a masked class)`);
  }
}

/**
 * `oracleLossRounded`'s answer and whether the fast tier gave it (`fast`: false when the row fell back to
 * decimal.js, or when SOFTMAX_STABILITY_ORACLE=decimal turned the fast tier off). Same parameters and errors.
 */
export function oracleLossRoundedTier(row: ArrayLike<number>, target: number, dtype: AnyDtype): { readonly rounded: number; readonly fast: boolean } {
  pulse();
  checkOracleRow(row, target);
  // fastLossRounded answers a masked target (+Infinity) itself.
  const fast = fastTierOn() ? fastLossRounded(row, target, dtype) : undefined;
  return fast !== undefined ? { rounded: fast, fast: true } : { rounded: oracleLoss(row, target, dtype).rounded, fast: false };
}
