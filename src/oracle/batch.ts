/**
 * The oracle under PyTorch's batch options (SPEC section 6): the per-row loss l_n
 * and the batch value of `sum` and `mean`, each exact and rounded once to the dtype.
 *
 * Per row, with L_c = −log p_c = (m − x_c) + log1p(T) (the loss oracle's shifted
 * form, loss.ts, T = Σ_{j≠k} exp(x_j − m)), class weights w, label smoothing ε and
 * C classes,
 *
 *     l_n = (1 − ε)·A + (ε/C)·B,   A = Σ_c w_c·q_c·L_c,   B = Σ_c w_c·L_c,
 *
 * with q the one-hot vector of a class-index target or the soft target (for which
 * this is SPEC 6's −Σ_c w_c·q'_c·log p_c, q' = (1 − ε)q + ε/C). Every coefficient
 * and every L_c is ≥ 0, so no step cancels: the relative error of l_n is at most
 * the largest relative error of its parts plus one rounding per operation. Every
 * L_c of a row comes from one T at P significant digits with the loss oracle's
 * bound (`lossBounds`: L_c ∈ [L(1 − δ), L(1 + δ) + dropped]); the sums and products
 * at P digits add at most (2C + 8)·10^(1−P) relatively. The batch sum adds N
 * roundings, the mean one more (its denominator Σ w_{y_n} is summed exactly). When
 * both ends of a value's interval round to the same value of the dtype, that is the
 * correctly rounded value; otherwise P doubles (Ziv 1991), as in the loss oracle.
 *
 * Special values: a class whose coefficient is 0 contributes nothing (even when it is
 * masked: the exact value has no term 0·∞, which IEEE arithmetic makes NaN); a
 * masked class with a positive coefficient makes l_n = +Infinity (SPEC 6, the
 * smoothing sum); an ignored row is 0 and has no weight in the mean; a fully masked
 * row follows `maskedRows`; a `mean` whose denominator is 0 is NaN (0/0, SPEC 6),
 * and a sum with a NaN row is NaN. A row with the bare loss (class-index target,
 * ε = 0, weight 1) is exactly `oracleLoss`.
 */
import type { Decimal } from 'decimal.js';
import type { BatchOptions, OptionRow } from '../cases/options.js';
import { isBare, rowKind, rowWeight } from '../cases/options.js';
import type { AnyDtype } from '../float/dtype.js';
import { exactDecimal, ExactDecimal, roundDecimal } from './exact.js';
import type { OracleResult } from './loss.js';
import { log1p, lossBounds, lossPlan, oracleLoss, ORACLE_EXACT_DIGITS, ORACLE_FIRST_DIGITS, ORACLE_MAX_DIGITS, shiftedSumDecimal, workingDecimal } from './loss.js';
import { pulse } from '../supervise/heartbeat.js';

/** The oracle of one batch: each row's l_n, and the `sum` and `mean` of the batch. */
export interface BatchOracle {
  readonly rows: readonly OracleResult[];
  readonly sum: OracleResult;
  readonly mean: OracleResult;
}

const NAN: OracleResult = { rounded: NaN, exact: 'NaN', approx: NaN, digits: 0 };
const INF: OracleResult = { rounded: Infinity, exact: 'Infinity', approx: Infinity, digits: 0 };
const ZERO: OracleResult = { rounded: 0, exact: '0', approx: 0, digits: 0 };

/** A value known to lie in [lo, hi] (both ≥ 0), or a special value. */
type Interval = { lo: Decimal; hi: Decimal; mid: Decimal } | OracleResult;

const isSpecial = (v: Interval): v is OracleResult => 'rounded' in v;

/** The weights of a row's classes in A (w_c·q_c) and B (w_c), as exact decimals; undefined entries are 0. */
interface RowPlan {
  readonly kind: ReturnType<typeof rowKind>;
  /** The bare loss: oracleLoss of the target, exactly. */
  readonly plain: boolean;
  /** Classes with a positive coefficient and their coefficients in A and B (before (1 − ε) and ε/C). */
  readonly classes: readonly number[];
  readonly a: readonly Decimal[];
  readonly b: readonly Decimal[];
  /** Some class with a positive coefficient is masked: l_n = +Infinity. */
  readonly infinite: boolean;
}

function planRow(row: OptionRow, o: BatchOptions, weight: ArrayLike<number> | undefined): RowPlan {
  const kind = rowKind(row, o);
  const C = row.logits.length;
  const eps = o.labelSmoothing;
  const w = (c: number) => (weight === undefined ? 1 : weight[c]);
  const plain = kind === 'loss' && isBare(row, o, weight);
  const classes: number[] = [];
  const a: Decimal[] = [];
  const b: Decimal[] = [];
  let infinite = false;
  if (kind === 'loss' && !plain) {
    for (let c = 0; c < C; c++) {
      const q = row.soft !== undefined ? row.soft[c] : c === row.target ? 1 : 0;
      const ac = eps < 1 && w(c) > 0 && q > 0 ? exactDecimal(w(c)).times(exactDecimal(q)) : new ExactDecimal(0);
      const bc = eps > 0 && w(c) > 0 ? exactDecimal(w(c)) : new ExactDecimal(0);
      if (ac.isZero() && bc.isZero()) continue;
      if (row.logits[c] === -Infinity) infinite = true;
      classes.push(c);
      a.push(ac);
      b.push(bc);
    }
  }
  return { kind, plain, classes, a, b, infinite };
}

/** The row's l_n at `digits` significant digits, as an interval (loss.ts's bounds, plus the combination's roundings). */
function rowInterval(row: OptionRow, p: RowPlan, o: BatchOptions, digits: number, dtype: AnyDtype): Interval {
  if (p.kind === 'ignored' || p.kind === 'zero') return ZERO;
  if (p.kind === 'nan') return NAN;
  if (p.infinite) return INF;
  if (p.classes.length === 0) return ZERO;
  const D = workingDecimal(digits);
  const logits = row.logits;
  let k = 0;
  for (let j = 1; j < logits.length; j++) if (logits[j] > logits[k]) k = j;
  const plan = lossPlan(logits, k, dtype);
  const mD = new D(plan.mExact);
  const T = shiftedSumDecimal(plan, D, mD);
  const l1p = log1p(T, D);
  const { delta, dropped } = lossBounds(plan, digits, D, T);
  const one = new D(1);
  const epsD = exactDecimal(o.labelSmoothing);
  const keep = new D(1).minus(epsD); // 1 − ε, rounded at P (its error is in the combination's bound)
  const spread = epsD.div(logits.length);
  // Σ coefficient·L, Σ coefficient (for the dropped part, which adds to every L_c).
  let A = new D(0);
  let B = new D(0);
  let coefA = new D(0);
  let coefB = new D(0);
  for (let i = 0; i < p.classes.length; i++) {
    const L = mD.minus(exactDecimal(logits[p.classes[i]])).plus(l1p);
    A = A.plus(p.a[i].times(L));
    B = B.plus(p.b[i].times(L));
    coefA = coefA.plus(p.a[i]);
    coefB = coefB.plus(p.b[i]);
  }
  const mid = keep.times(A).plus(spread.times(B));
  const coef = keep.times(coefA).plus(spread.times(coefB));
  const ops = new D(10).pow(1 - digits).times(2 * p.classes.length + 8);
  const lo = mid.times(one.minus(delta)).times(one.minus(ops));
  const hi = mid.times(one.plus(delta)).plus(coef.times(dropped)).times(one.plus(ops));
  return { lo, hi, mid };
}

function decide(v: Interval, dtype: AnyDtype, digits: number, last: boolean): OracleResult | undefined {
  if (isSpecial(v)) return v;
  const rlo = roundDecimal(v.lo, dtype);
  const rhi = roundDecimal(v.hi, dtype);
  if (!Object.is(rlo, rhi) && !last) return undefined;
  return { rounded: rlo, exact: v.mid.isZero() ? '0' : v.mid.toSignificantDigits(ORACLE_EXACT_DIGITS).toString(), approx: v.mid.toNumber(), digits };
}

/**
 * The oracle of a batch of one dtype under options: l_n of every row, and the
 * batch's `sum` and `mean` (SPEC 6), each correctly rounded to `dtype` (ties to
 * even). `weight` is the class weights as values of the dtype (resolveWeights), or
 * undefined for all 1. Rows: logits of the dtype (−Infinity masked; a fully masked
 * row allowed), a class index or a soft target of the dtype.
 */
export function oracleBatch(rows: readonly OptionRow[], o: BatchOptions, dtype: AnyDtype, weight: ArrayLike<number> | undefined, reduce = true): BatchOracle {
  const plans = rows.map((r) => planRow(r, o, weight));
  const results: (OracleResult | undefined)[] = plans.map((p, i) => (p.plain ? oracleLoss(rows[i].logits, rows[i].target, dtype) : undefined));
  let den = new ExactDecimal(0);
  for (const r of rows) den = den.plus(exactDecimal(rowWeight(r, o, weight)));
  // Without `reduce` (reduction none) the batch values are not asked for: NaN placeholders.
  let sum: OracleResult | undefined = reduce ? undefined : NAN;
  let mean: OracleResult | undefined = reduce ? undefined : NAN;
  for (let digits = ORACLE_FIRST_DIGITS; ; digits *= 2) {
    pulse();
    const last = digits >= ORACLE_MAX_DIGITS;
    const D = workingDecimal(digits);
    const batchDone = sum !== undefined && mean !== undefined;
    const intervals: Interval[] = rows.map((r, i) => {
      const done = results[i];
      if (done !== undefined && batchDone) return done; // not needed again
      // A row the loss oracle decided: its interval at this precision, for the batch values.
      if (plans[i].plain) return intervalOfPlain(r, dtype, digits, done!);
      return rowInterval(r, plans[i], o, digits, dtype);
    });
    intervals.forEach((v, i) => {
      if (results[i] === undefined) results[i] = decide(v, dtype, digits, last);
    });
    if (!batchDone) {
      const total = sumIntervals(intervals, D, digits);
      sum ??= decide(total, dtype, digits, last);
      let m: Interval;
      if (den.isZero()) m = NAN;
      else if (isSpecial(total)) m = total;
      else {
        const ops = new D(10).pow(1 - digits).times(2);
        m = { lo: total.lo.div(den).times(new D(1).minus(ops)), hi: total.hi.div(den).times(new D(1).plus(ops)), mid: total.mid.div(den) };
      }
      mean ??= decide(m, dtype, digits, last);
    }
    if (sum !== undefined && mean !== undefined && results.every((r) => r !== undefined)) {
      return { rows: results as OracleResult[], sum, mean };
    }
  }
}

/** Σ of row intervals at P digits: NaN if a row is NaN, +Infinity if one is, else [Σlo, Σhi] widened by N roundings. */
function sumIntervals(v: readonly Interval[], D: typeof Decimal, digits: number): Interval {
  if (v.some((x) => isSpecial(x) && Number.isNaN(x.rounded))) return NAN;
  if (v.some((x) => isSpecial(x) && x.rounded === Infinity)) return INF;
  let lo = new D(0);
  let hi = new D(0);
  let mid = new D(0);
  for (const x of v) {
    if (isSpecial(x)) continue; // 0
    lo = lo.plus(x.lo);
    hi = hi.plus(x.hi);
    mid = mid.plus(x.mid);
  }
  if (hi.isZero()) return ZERO;
  const ops = new D(10).pow(1 - digits).times(v.length + 2);
  return { lo: lo.times(new D(1).minus(ops)), hi: hi.times(new D(1).plus(ops)), mid };
}

/**
 * A bare row (l_n = −log p_t) at P digits: the loss oracle's interval, recomputed at
 * this precision so that the batch's sum can be decided (a special value as it is).
 */
function intervalOfPlain(row: OptionRow, dtype: AnyDtype, digits: number, done: OracleResult): Interval {
  if (!Number.isFinite(done.rounded)) return done;
  const D = workingDecimal(digits);
  const logits = row.logits;
  const plan = lossPlan(logits, row.target, dtype);
  const mD = new D(plan.mExact);
  const T = shiftedSumDecimal(plan, D, mD);
  const { delta, dropped } = lossBounds(plan, digits, D, T);
  const L = mD.minus(plan.tExact).plus(log1p(T, D));
  const one = new D(1);
  return { lo: L.times(one.minus(delta)), hi: L.times(one.plus(delta)).plus(dropped), mid: L };
}
