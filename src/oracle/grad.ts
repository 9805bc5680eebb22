/**
 * The correctly rounded gradient of the cross-entropy loss of one row with respect
 * to its logits (SPEC section 2.2): the gradient oracle.
 *
 * Method. With k an index of the maximum m, e_j = exp(x_j − m) (e_k = 1) and
 * S = Σ_j e_j ∈ [1, n],
 *
 *     g_j = p_j = e_j / S                      (j ≠ t),
 *     g_t = p_t − 1 = −Q / S,  Q = Σ_{j≠t} e_j  (a sum of positive terms: no cancellation),
 *     g_j = 0                                  (a masked class, x_j = −Infinity).
 *
 * Every input is taken at its exact binary value; the terms are computed in
 * decimal.js at P significant digits. With u = 10^(1−P): the difference
 * x_j − m is rounded (relative u/2), which exp turns into a relative error of
 * |x_j − m|·u/2, and exp adds u/2; each of the at most n additions adds u/2, and
 * the division u/2. So every computed term, sum and quotient lies within a
 * relative δ = 4·u·(max|x_j − m| + n + 2) of its exact value (the factor 4 covers
 * the second-order terms), as in the loss oracle (loss.ts). Terms too small to
 * matter to the sums (below S·10^−(P+10) together) are left out of S and Q and
 * bounded instead (`dropped`), but never out of their own component: a term far
 * below the maximum still has a component that may be a normal number (e^−200 in
 * float64). A component is known to lie in an interval [lo, hi]; when both ends
 * round to the same value of the dtype, that value is the answer; otherwise P
 * doubles for the row (Ziv's strategy, as in the loss oracle).
 *
 * A component whose term is below half the dtype's smallest subnormal, by a
 * margin, rounds to +0 without an exp: e_j < minSubnormal/2 and S ≥ 1. Exact
 * cases need no bound: a masked class is 0, a masked target −1, and a target whose
 * every other class is masked 0 (p_t = 1).
 */
import { Decimal } from 'decimal.js';
import type { AnyDtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { exactDecimal, exactDecimalString, roundDecimal } from './exact.js';
import { nextUp } from '../float/ordinal.js';
import { pulse } from '../supervise/heartbeat.js';
import type { OracleResult } from './loss.js';
import { checkOracleRow, expMemo, lossPlan, lossStep, MASKED_TARGET_LOSS, NEGLIGIBLE, workingDecimal } from './loss.js';
import { fastLossAndGrad } from './fast-grad.js';
import { fastTierOn } from './tier.js';

export interface GradOracleResult {
  /** g_j correctly rounded to the dtype (ties to even), one per class. */
  readonly rounded: Float64Array;
  /** Significant digits the last iteration worked at. */
  readonly digits: number;
}

const FIRST_DIGITS = 48;
const MAX_DIGITS = 6144;
/** Arguments of exp below this are under decimal.js's exponent range (see loss.ts). */
const EXP_FLOOR = -2e16;

/** The gradient oracle's plan for one row (see the file comment), fixed before any decimal arithmetic. */
interface GradPlan {
  readonly n: number;
  readonly target: number;
  readonly dtype: AnyDtype;
  /** The working precision the window was chosen for (the loss plan's `digits`). */
  readonly digits: number;
  readonly k: number;
  /** Terms summed into S and Q (index order), and terms computed for their own component only. */
  readonly summed: readonly number[];
  readonly unsummed: readonly number[];
  readonly negligibleCount: number;
  readonly floorCount: number;
  readonly maxAbsD: number;
  readonly exact: ReadonlyMap<number, string>;
  readonly mExact: string;
  /** Every quotient is exact (tied classes, a power-of-two count): no error bound. */
  readonly exactArithmetic: boolean;
}

function gradPlan(row: ArrayLike<number>, target: number, dtype: AnyDtype, digits: number): GradPlan {
  const n = row.length;
  const fmt = formatOf(dtype);
  let k = -1;
  for (let j = 0; j < n; j++) if (row[j] > -Infinity && (k < 0 || row[j] > row[k])) k = j;
  if (k < 0) throw new RangeError('oracleGrad: every logit is −Infinity (a fully masked row)');
  const m = row[k];

  // The classes j ≠ k: a term below g − W (as in the loss oracle: together below
  // 10^−(digits+10)·T, T = Σ_{j≠k} e_j, digits the working precision) is `negligible` for the sums, which leave it out and
  // carry a bound instead; it is still computed for its own component unless it is `tiny`
  // (e_j < minSubnormal/(2e), so g_j < minSubnormal/2 rounds to +0 since S ≥ 1). Terms below
  // EXP_FLOOR (under decimal.js's range) are bounded by NEGLIGIBLE together, as in the loss oracle.
  const zeroBelow = Math.log(fmt.minSubnormal) - Math.LN2 - 1; // ln(minSubnormal/2) − 1 (minSubnormal/2 itself is 0 in float64)
  let g = -Infinity;
  for (let j = 0; j < n; j++) if (j !== k && row[j] - m > g) g = row[j] - m;
  const W = (digits + 10) * Math.LN10 + Math.log(n) + 1;
  const summed: number[] = [];
  const unsummed: number[] = [];
  let negligibleCount = 0;
  let floorCount = 0;
  let maxAbsD = 0;
  for (let j = 0; j < n; j++) {
    if (j === k || row[j] === -Infinity) continue;
    const d = row[j] - m;
    if (d < EXP_FLOOR) {
      floorCount++;
      continue;
    }
    const tiny = d + Math.abs(d) * 1e-15 < zeroBelow;
    if (d < g - W - 4.5e-16 * (Math.abs(d) + Math.abs(g))) {
      negligibleCount++;
      if (!tiny) unsummed.push(j);
    } else {
      summed.push(j);
    }
    if (!tiny) maxAbsD = Math.max(maxAbsD, Math.abs(d));
  }
  for (const j of summed) maxAbsD = Math.max(maxAbsD, Math.abs(row[j] - m));
  const exact = new Map<number, string>();
  for (const j of [...summed, ...unsummed]) exact.set(j, exactDecimalString(row[j]));
  // With every summed term tied with the maximum, S and Q are the integers c and c − 1 (or c): 1/c is a
  // dyadic rational, possibly a rounding midpoint, when c is a power of two, and decimal.js then
  // divides exactly, so no error bound applies to those quotients. Otherwise no quotient is exact and
  // Ziv's bound is used. (Classes left out of the sums are handled by `decideBelow` in gradStep.)
  const count = summed.length + 1;
  const exactArithmetic = summed.every((j) => row[j] === m) && (count & (count - 1)) === 0;
  return { n, target, dtype, digits, k, summed, unsummed, negligibleCount, floorCount, maxAbsD, exact, mExact: exactDecimalString(m), exactArithmetic };
}

/**
 * One step of Ziv's loop: every component's bounds at `digits` from the terms
 * `e` (summed and unsummed, computed at that precision) and T = Σ e over
 * `plan.summed`; writes the lower bound's rounding into `rounded` and says
 * whether every component is decided.
 */
function gradStep(plan: GradPlan, row: ArrayLike<number>, digits: number, D: typeof Decimal, e: ReadonlyMap<number, Decimal>, T: Decimal, rounded: Float64Array): boolean {
  const { n, target, k, dtype } = plan;
  const one = new D(1);
  const inexact = new D(10).pow(1 - digits).times(4 * (plan.maxAbsD + n + 2));
  // The quotients of the tied classes (k, the summed ones, and the target among them) are exact
  // under `exactArithmetic`; a term computed for its own component only (unsummed) never is.
  const delta = plan.exactArithmetic ? new D(0) : inexact;
  const S = T.plus(1);
  // Q = Σ_{j≠t} e_j: S − e_t, computed as a sum (no cancellation).
  let Q = target === k ? T : new D(1);
  if (target !== k) for (const j of plan.summed) if (j !== target) Q = Q.plus(e.get(j)!);
  // What the sums leave out, as an absolute amount.
  let dropped = new D(0);
  if (plan.negligibleCount > 0) dropped = T.times(new D(10).pow(-(plan.digits + 10)));
  if (plan.floorCount > 0) dropped = dropped.plus(NEGLIGIBLE);
  const sLo = S.times(one.minus(delta));
  const sHi = S.times(one.plus(delta)).plus(dropped);

  // Components j ≠ t with the same term object (equal logits share one exp: `expMemo`) and the same
  // bound have the same interval, so the same rounding: computed once per (term, bound).
  const sameTerm = new Map<Decimal, { rlo: number; decided: boolean }>();
  const sameTermInexact = new Map<Decimal, { rlo: number; decided: boolean }>();
  let decided = true;
  for (let j = 0; j < n; j++) {
    let lo: Decimal;
    let hi: Decimal;
    if (j === target) {
      if (row[j] === -Infinity) {
        rounded[j] = -1; // p_t = 0 exactly
        continue;
      }
      if (Q.isZero() && dropped.isZero()) {
        rounded[j] = 0; // every other class masked: p_t = 1 exactly
        continue;
      }
      // g_t = −Q/S ∈ [−Q_hi/S_lo, −Q_lo/S_hi], the quotient's own rounding included.
      lo = Q.times(one.plus(delta)).plus(dropped).div(sLo).times(one.plus(delta)).neg();
      hi = Q.times(one.minus(delta)).div(sHi).times(one.minus(delta)).neg();
    } else if (row[j] === -Infinity) {
      rounded[j] = 0;
      continue;
    } else {
      const ej = j === k ? one : e.get(j);
      if (ej === undefined) {
        rounded[j] = 0; // tiny: below minSubnormal/2
        continue;
      }
      const inSums = summedSet(plan).has(j) || j === k;
      const memo = inSums ? sameTerm : sameTermInexact;
      const seen = memo.get(ej);
      if (seen !== undefined) {
        rounded[j] = seen.rlo;
        if (!seen.decided) decided = false;
        continue;
      }
      const dj = inSums ? delta : inexact;
      lo = ej.times(one.minus(dj)).div(sHi).times(one.minus(dj));
      hi = ej.times(one.plus(dj)).div(sLo).times(one.plus(dj));
      const rlo = roundDecimal(lo, dtype);
      rounded[j] = rlo;
      // Tied classes and terms left out of the sums: see `decideBelow`.
      const ok = Object.is(rlo, roundDecimal(hi, dtype)) || (plan.exactArithmetic && !dropped.isZero() && inSums && decideBelow(rlo, one.div(S), dtype));
      memo.set(ej, { rlo, decided: ok });
      if (!ok) decided = false;
      continue;
    }
    const rlo = roundDecimal(lo, dtype);
    rounded[j] = rlo;
    if (Object.is(rlo, roundDecimal(hi, dtype))) continue;
    // Tied classes and terms left out of the sums: see `decideBelow`.
    const tiedQuotient = plan.exactArithmetic && !dropped.isZero() && (j === k || summedSet(plan).has(j));
    if (tiedQuotient && decideBelow(rlo, Q.div(S).neg(), dtype)) continue;
    decided = false;
  }
  return decided;
}

const summedSets = new WeakMap<GradPlan, Set<number>>();
function summedSet(plan: GradPlan): Set<number> {
  let s = summedSets.get(plan);
  if (s === undefined) summedSets.set(plan, (s = new Set(plan.summed)));
  return s;
}

/**
 * The one-sided rounding rule for a quotient of tied classes with terms left out
 * of the sums. Under `exactArithmetic` the summed classes are tied with the
 * maximum, so f0 = 1/S (a component j ≠ t among them) or −Q/S (the target among
 * them) is an exact dyadic rational, and may be a rounding midpoint: 512 tied
 * logits and one at −10^4 give g_t = −(511 + ε)/(512 + ε), ε = e^−10000, within
 * 10^−4300 of bfloat16's midpoint −511/512. No precision reaches that from a bound
 * on ε, so Ziv's loop alone never ends there. But the left-out mass ε is strictly
 * positive and enters every such component in a known direction: p_j = e_j/(S + ε)
 * < e_j/S, and −(Q + ε)/(S + ε) < −Q/S because Q < S. So the exact value lies in
 * [lo, f0), lo the step's rigorous lower bound. Rounding (to nearest) is constant
 * from rlo = round(lo) up to, but not including, the midpoint between rlo and its
 * successor; so when f0 is at most that midpoint, every value in [lo, f0) rounds to
 * rlo, and rlo is the answer. (A value exactly at the midpoint is excluded: the
 * interval is open at f0.)
 */
function decideBelow(rlo: number, f0: Decimal, dtype: AnyDtype): boolean {
  const up = nextUp(rlo, dtype);
  if (up === Infinity) return false;
  const mid = exactDecimal(rlo).plus(exactDecimal(up)).div(2);
  return f0.lte(mid);
}

/** The terms e_j = exp(x_j − m) of a plan at one precision: summed ones (with T, their sum in index order) and unsummed ones. */
function gradTerms(plan: GradPlan, D: typeof Decimal, mD: Decimal): { e: Map<number, Decimal>; T: Decimal } {
  const e = new Map<number, Decimal>();
  const exp = expMemo(D, mD);
  let T = new D(0); // Σ_{j≠k} e_j over the summed terms
  for (const j of plan.summed) {
    const ej = exp(plan.exact.get(j)!);
    e.set(j, ej);
    T = T.plus(ej);
  }
  for (const j of plan.unsummed) e.set(j, exp(plan.exact.get(j)!));
  return { e, T };
}

/**
 * The oracle gradient of one row. `row` holds values of `dtype` (held in
 * doubles); `target` indexes it. At least one logit must be finite (a fully
 * masked row has no gradient; SPEC section 6 gives it a convention).
 */
export function oracleGrad(row: ArrayLike<number>, target: number, dtype: AnyDtype): GradOracleResult {
  const rounded = new Float64Array(row.length);
  for (let digits = FIRST_DIGITS; ; digits *= 2) {
    const plan = gradPlan(row, target, dtype, digits); // the window widens with the precision (see gradPlan)
    const D = workingDecimal(digits);
    const { e, T } = gradTerms(plan, D, new D(plan.mExact));
    if (gradStep(plan, row, digits, D, e, T, rounded)) return { rounded, digits };
    if (digits >= MAX_DIGITS) throw undecidedError(row, target, dtype);
  }
}

/**
 * SPEC 8: the oracle never guesses. A component still undecided at MAX_DIGITS
 * would need the terms left out of the sums (bounded, not computed) without
 * being a tied quotient (`decideBelow`); by the Lindemann–Weierstrass theorem
 * such a value is never exactly a midpoint, but it could sit closer to one than
 * the bound on the left-out terms. No such row is known; if one turns up, the run
 * stops with this message rather than report a guess.
 */
function undecidedError(row: ArrayLike<number>, target: number, dtype: AnyDtype): Error {
  const shown = Array.from(row.length > 8 ? Array.prototype.slice.call(row, 0, 8) : row, String).join(' ');
  return new Error(`gradient oracle: a component of the ${dtype} row [${shown}${row.length > 8 ? ` … (${row.length} classes)` : ''}] (target ${target}) is not decided at ${MAX_DIGITS} digits; please report this row`);
}

/** The loss and the gradient of one row from one oracle evaluation. */
export interface LossAndGradResult {
  readonly loss: OracleResult;
  readonly grad: GradOracleResult;
}

/**
 * The correctly rounded loss and gradient of one row, from one set of decimal
 * terms: the loss oracle's T = Σ_{j≠k} exp(x_j − m) is the gradient oracle's
 * (both plans sum the same terms, in index order, at the same precision), so
 * each precision of Ziv's loop computes every exp(x_j − m) once and both
 * oracles decide from it. The answers equal `oracleLoss` and `oracleGrad` bit
 * for bit; the loop runs until both are decided.
 */
export function oracleLossAndGrad(row: ArrayLike<number>, target: number, dtype: AnyDtype): LossAndGradResult {
  pulse();
  let loss: OracleResult | undefined = row[target] === -Infinity ? MASKED_TARGET_LOSS : undefined;
  const rounded = new Float64Array(row.length);
  let gradDigits = 0; // the precision the gradient was decided at; 0 while undecided
  for (let digits = FIRST_DIGITS; loss === undefined || gradDigits === 0; digits *= 2) {
    // Both plans at this precision (their windows widen with it) sum the same terms.
    const gPlan = gradPlan(row, target, dtype, digits);
    const lPlan = loss === undefined ? lossPlan(row, target, dtype, digits) : undefined;
    if (lPlan !== undefined && lPlan.summed.join() !== gPlan.summed.join()) throw new Error('oracleLossAndGrad: the loss and gradient plans sum different terms');
    const D = workingDecimal(digits);
    const mD = new D(gPlan.mExact);
    const { e, T } = gradTerms(gPlan, D, mD);
    if (loss === undefined) loss = lossStep(lPlan!, digits, D, mD, T);
    if (gradDigits === 0 && gradStep(gPlan, row, digits, D, e, T, rounded)) gradDigits = digits;
    if (gradDigits === 0 && digits >= MAX_DIGITS) throw undecidedError(row, target, dtype);
  }
  return { loss, grad: { rounded, digits: gradDigits } };
}

/** The correctly rounded loss and gradient of one row (no `exact` digits), and which tier answered. */
export interface LossAndGradRounded {
  readonly loss: number;
  readonly grad: Float64Array;
  /** True when the fast tier decided the loss and every component; false when the row fell back to decimal.js. */
  readonly fast: boolean;
  /** Gradient components the fast tier left undecided (0 when `fast`). */
  readonly undecided: number;
}

/**
 * The correctly rounded loss and gradient of one row, from the tier that can
 * decide them: the fast tier (`fast-grad.ts`: one pass of double-double terms,
 * a bound and a rounding test per component) when it decides the loss and every
 * component, else `oracleLossAndGrad` (decimal.js) for the row. Equal bit for bit
 * to `oracleLossAndGrad`'s `loss.rounded` and `grad.rounded` (tested in
 * fast-grad.test.ts; `scripts/verify-oracle.ts` compares the tiers on many cases).
 * SOFTMAX_STABILITY_ORACLE=decimal skips the fast tier (`tier.ts`).
 *
 * @param row - logits, length n ≥ 1, values of `dtype` held in doubles (finite, or −Infinity for a masked
 *   class), at least one finite
 * @param target - index of the target class, 0 ≤ target < n
 * @param dtype - the format to round to
 * @returns the loss and the n gradient components ∂loss/∂x_j (masked classes exactly 0), each correctly
 *   rounded to `dtype`
 * @throws RangeError when the target is not a class of the row, a logit is NaN or +Infinity
 *   (`checkOracleRow`), or every logit is −Infinity
 */
export function oracleLossAndGradRounded(row: ArrayLike<number>, target: number, dtype: AnyDtype): LossAndGradRounded {
  pulse();
  checkOracleRow(row, target);
  if (!fastTierOn()) {
    const slow = oracleLossAndGrad(row, target, dtype);
    return { loss: slow.loss.rounded, grad: slow.grad.rounded, fast: false, undecided: row.length };
  }
  const grad = new Float64Array(row.length);
  const fast = fastLossAndGrad(row, target, dtype, grad);
  if (fast.loss !== undefined && fast.undecided === 0) return { loss: fast.loss, grad, fast: true, undecided: 0 };
  const slow = oracleLossAndGrad(row, target, dtype);
  return { loss: slow.loss.rounded, grad: slow.grad.rounded, fast: false, undecided: fast.undecided };
}

/**
 * The correctly rounded gradient of one row (`oracleLossAndGradRounded`'s; `oracleGrad(...).rounded` bit for
 * bit): n components, the same parameters and errors.
 */
export function oracleGradRounded(row: ArrayLike<number>, target: number, dtype: AnyDtype): Float64Array {
  pulse();
  checkOracleRow(row, target);
  const grad = new Float64Array(row.length);
  // The loss's own rounding test does not matter here: only the components'.
  if (fastTierOn() && fastLossAndGrad(row, target, dtype, grad).undecided === 0) return grad;
  return oracleGrad(row, target, dtype).rounded;
}
