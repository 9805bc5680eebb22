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
 * correctly rounded value. When the ends are adjacent values of the dtype, the one
 * boundary b between them is decided exactly instead (`decide`, boundary.ts): l_n =
 * (x + a·τ)/C with x = Σ_c V_c·(m − x_c) and a = Σ_c V_c exact dyadics and τ = log1p(T)
 * known to a relative error, so sign(l_n − b) = sign(x − bC + a·τ) needs no more digits
 * than τ's own when x/C is itself the boundary (a midpoint m − x_c plus a tail e^−Δ:
 * Ziv's interval of l_n, relative to l_n, would need Δ/ln 10 digits; before this test
 * the loop ended at 6144 digits with a guess, one ulp low). Sums and means likewise,
 * over a common denominator. Otherwise P doubles (Ziv 1991), as in the loss oracle; a
 * value undecided at ORACLE_MAX_DIGITS throws (SPEC 8: the oracle never guesses).
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
import { exactDecimal, ExactDecimal, exactDecimalString, roundDecimal } from './exact.js';
import type { FastBatch } from './fast-batch.js';
import { fastBatch, fastRowGrad } from './fast-batch.js';
import { fastTierOn } from './tier.js';
import { oracleGrad, oracleGradRounded } from './grad.js';
import type { OracleResult } from './loss.js';
import { log1p, lossBounds, lossPlan, NEGLIGIBLE, oracleLoss, ORACLE_EXACT_DIGITS, ORACLE_FIRST_DIGITS, ORACLE_MAX_DIGITS, shiftedSumDecimal, workingDecimal } from './loss.js';
import { pulse } from '../supervise/heartbeat.js';
import type { Dyadic, SignTerm } from './boundary.js';
import { boundaryBetween, DY_ONE, DY_ZERO, dyAdd, dyadicOf, dyadicString, dyInt, dyMul, dyNeg, dySub, signOfSum, tieToEven } from './boundary.js';

/** The oracle of one batch: each row's l_n, and the `sum` and `mean` of the batch. */
export interface BatchOracle {
  readonly rows: readonly OracleResult[];
  readonly sum: OracleResult;
  readonly mean: OracleResult;
}

const NAN: OracleResult = { rounded: NaN, exact: 'NaN', approx: NaN, digits: 0 };
const INF: OracleResult = { rounded: Infinity, exact: 'Infinity', approx: Infinity, digits: 0 };
const ZERO: OracleResult = { rounded: 0, exact: '0', approx: 0, digits: 0 };

/** τ = log1p(T) of a row at the current precision: τ ∈ [lo, hi], and whether τ > 0 exactly (a finite class besides the maximum). */
interface Tail {
  readonly lo: Decimal;
  readonly hi: Decimal;
  readonly positive: boolean;
}

/** A value known to lie in [lo, hi] (both ≥ 0), with a row's τ for the exact test at a boundary; or a special value. */
type Interval = { lo: Decimal; hi: Decimal; mid: Decimal; tail?: Tail } | OracleResult;

/**
 * A row's l_n as (x + a·τ)/den exactly: x and a ≥ 0 exact dyadics, den a positive integer, τ the
 * row's `Tail`. Under options den = C and C·l_n = Σ_c V_c·L_c = Σ_c V_c·(m − x_c) + (Σ_c V_c)·τ,
 * since every L_c = −log p_c = (m − x_c) + τ (loss.ts; V_c from `rowCoefficients`); a bare row is
 * (m − x_t) + τ.
 */
interface RowExact {
  readonly x: Dyadic;
  readonly a: Dyadic;
  readonly den: bigint;
}

function rowExact(row: OptionRow, p: RowPlan, o: BatchOptions, weight: ArrayLike<number> | undefined): RowExact {
  const x = row.logits;
  let m = -Infinity;
  for (let j = 0; j < x.length; j++) if (x[j] > m) m = x[j];
  const mDy = dyadicOf(m);
  if (p.plain) return { x: dySub(mDy, dyadicOf(x[row.target])), a: DY_ONE, den: 1n };
  const { V } = rowCoefficients(row, o, weight);
  let sx = DY_ZERO;
  let sa = DY_ZERO;
  for (let c = 0; c < x.length; c++) {
    if (V[c].m === 0n) continue;
    sx = dyAdd(sx, dyMul(V[c], dySub(mDy, dyadicOf(x[c]))));
    sa = dyAdd(sa, V[c]);
  }
  return { x: sx, a: sa, den: BigInt(x.length) };
}

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));

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
  const plan = lossPlan(logits, k, dtype, digits);
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
  return { lo, hi, mid, tail: tailOf(l1p, delta, dropped, plan) };
}

/**
 * τ's interval from loss.ts's step: log1p(T)'s relative error is at most T's (log1p(T) ≥ T/(1 + T))
 * plus log1p's own, both inside δ (lossBounds); 2δ also covers this product's rounding. The terms
 * left out add at most `dropped` (log1p(T + d) ≤ log1p(T) + d).
 */
function tailOf(l1p: Decimal, delta: Decimal, dropped: Decimal, plan: ReturnType<typeof lossPlan>): Tail {
  const D = l1p.constructor as typeof Decimal;
  const twice = delta.times(2);
  return { lo: l1p.times(new D(1).minus(twice)), hi: l1p.times(new D(1).plus(twice)).plus(dropped), positive: plan.summed.length + plan.droppedCount > 0 };
}

/**
 * The rounding of a value from its interval: both ends alike, or one boundary b between them and
 * `side(b)` = sign(value − b) decided exactly (boundary.ts); undefined when neither decides at this
 * precision. At ORACLE_MAX_DIGITS an undecided value throws (`undecided`): the oracle never guesses.
 */
function decide(v: Interval, dtype: AnyDtype, digits: number, side: (b: Dyadic) => -1 | 0 | 1 | undefined, undecided: () => Error): OracleResult | undefined {
  if (isSpecial(v)) return v;
  const rlo = roundDecimal(v.lo, dtype);
  const rhi = roundDecimal(v.hi, dtype);
  let rounded: number | undefined;
  if (Object.is(rlo, rhi)) rounded = rlo;
  else {
    const b = boundaryBetween(rlo, rhi, dtype);
    const s = b === undefined ? undefined : side(b);
    if (s !== undefined) rounded = s > 0 ? rhi : s < 0 ? rlo : tieToEven(rlo, rhi, dtype);
  }
  if (rounded === undefined) {
    if (digits >= ORACLE_MAX_DIGITS) throw undecided();
    return undefined;
  }
  return { rounded, exact: v.mid.isZero() ? '0' : v.mid.toSignificantDigits(ORACLE_EXACT_DIGITS).toString(), approx: v.mid.toNumber(), digits };
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
  let denDy = DY_ZERO; // the same, as a dyadic (for the exact test at a boundary)
  for (const r of rows) {
    den = den.plus(exactDecimal(rowWeight(r, o, weight)));
    denDy = dyAdd(denDy, dyadicOf(rowWeight(r, o, weight)));
  }
  const exacts: (RowExact | undefined)[] = [];
  const exactOf = (i: number): RowExact => (exacts[i] ??= rowExact(rows[i], plans[i], o, weight));
  // Without `reduce` (reduction none) the batch values are not asked for: NaN placeholders.
  let sum: OracleResult | undefined = reduce ? undefined : NAN;
  let mean: OracleResult | undefined = reduce ? undefined : NAN;
  for (let digits = ORACLE_FIRST_DIGITS; ; digits *= 2) {
    pulse();
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
      if (results[i] !== undefined) return;
      // sign(l_n − b) = sign(x − b·den + a·τ) (RowExact).
      const side = (b: Dyadic) => {
        const tail = (v as { tail?: Tail }).tail!;
        const ex = exactOf(i);
        return signOfSum(dySub(ex.x, dyMul(b, dyInt(ex.den))), [{ c: ex.a, ...tail }], D);
      };
      results[i] = decide(v, dtype, digits, side, () => undecidedRowError(rows[i], dtype, 'loss'));
    });
    if (!batchDone) {
      const total = sumIntervals(intervals, D, digits);
      // sign(Σ_n l_n − b·W) over the rows that are not 0, with a common denominator M of theirs: W = 1 (sum), Σ w_{y_n} (mean).
      const batchSide = (W: Dyadic) => (b: Dyadic) => {
        const parts: { ex: RowExact; tail: Tail }[] = [];
        intervals.forEach((v, i) => {
          if (!isSpecial(v)) parts.push({ ex: exactOf(i), tail: v.tail! });
        });
        let M = 1n;
        for (const { ex } of parts) M = (M / gcd(M, ex.den)) * ex.den;
        let x = dyNeg(dyMul(dyMul(b, W), dyInt(M)));
        const terms: SignTerm[] = [];
        for (const { ex, tail } of parts) {
          const scale = dyInt(M / ex.den);
          x = dyAdd(x, dyMul(ex.x, scale));
          terms.push({ c: dyMul(ex.a, scale), ...tail });
        }
        return signOfSum(x, terms, D);
      };
      const batchError = (what: string) => () => new Error(`options oracle: the ${what} of a ${dtype} batch of ${rows.length} rows is not decided at ${ORACLE_MAX_DIGITS} digits; please report this batch with its options`);
      sum ??= decide(total, dtype, digits, batchSide(DY_ONE), batchError('sum'));
      let m: Interval;
      if (den.isZero()) m = NAN;
      else if (isSpecial(total)) m = total;
      else {
        const ops = new D(10).pow(1 - digits).times(2);
        m = { lo: total.lo.div(den).times(new D(1).minus(ops)), hi: total.hi.div(den).times(new D(1).plus(ops)), mid: total.mid.div(den) };
      }
      mean ??= decide(m, dtype, digits, batchSide(denDy), batchError('mean'));
    }
    if (sum !== undefined && mean !== undefined && results.every((r) => r !== undefined)) {
      return { rows: results as OracleResult[], sum, mean };
    }
  }
}

/** The correctly rounded values of a batch (no `exact` digits), and how many the fast tier left to decimal.js. */
export interface BatchRounded {
  readonly rows: Float64Array;
  readonly sum: number;
  readonly mean: number;
  /** Values (rows, sum, mean) the fast tier did not decide: 0 when decimal.js was not called. */
  readonly fellBack: number;
}

/**
 * `oracleBatch`'s rounded values, from the tier that can decide them: the fast tier
 * (`fast-batch.ts`: double-double intervals carried through the option formula, then
 * the rounding test) where it decides every value, else `oracleBatch` (decimal.js) for
 * the batch. Equal bit for bit to `oracleBatch(...).rows[n].rounded`, `.sum.rounded`
 * and `.mean.rounded` (fast-batch.test.ts). What fuzz needs; `score` writes
 * `oracle_exact` and keeps `oracleBatch`. Same arguments as `oracleBatch`.
 */
export function oracleBatchRounded(rows: readonly OptionRow[], o: BatchOptions, dtype: AnyDtype, weight: ArrayLike<number> | undefined, reduce = true): BatchRounded {
  pulse();
  const fast: FastBatch = fastTierOn() ? fastBatch(rows, o, dtype, weight, reduce) : { rows: rows.map(() => undefined), sum: reduce ? undefined : NaN, mean: reduce ? undefined : NaN };
  const fellBack = fast.rows.filter((v) => v === undefined).length + (fast.sum === undefined ? 1 : 0) + (fast.mean === undefined ? 1 : 0);
  if (fellBack === 0) return { rows: Float64Array.from(fast.rows as number[]), sum: fast.sum!, mean: fast.mean!, fellBack };
  const slow = oracleBatch(rows, o, dtype, weight, reduce);
  return { rows: Float64Array.from(slow.rows, (r) => r.rounded), sum: slow.sum.rounded, mean: slow.mean.rounded, fellBack };
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
  const plan = lossPlan(logits, row.target, dtype, digits);
  const mD = new D(plan.mExact);
  const T = shiftedSumDecimal(plan, D, mD);
  const { delta, dropped } = lossBounds(plan, digits, D, T);
  const l1p = log1p(T, D);
  const L = mD.minus(plan.tExact).plus(l1p);
  const one = new D(1);
  return { lo: L.times(one.minus(delta)), hi: L.times(one.plus(delta)).plus(dropped), mid: L, tail: tailOf(l1p, delta, dropped, plan) };
}

/**
 * num/den correctly rounded to `dtype` (num a dyadic, den a positive integer), exactly:
 * the quotient is taken to 2^−s with s past every format's last place (2^−1100) and
 * 64 bits below the quotient's leading bit; a nonzero remainder puts the value strictly
 * inside (q, q + 1)·2^−s, an interval with no rounding boundary inside it (every
 * boundary of the format is a multiple of 2^−s), so its midpoint rounds as the value.
 */
function roundQuotient(num: Dyadic, den: bigint, dtype: AnyDtype): number {
  if (num.m === 0n) return 0;
  const neg = num.m < 0n;
  const a = neg ? -num.m : num.m;
  const lead = a.toString(2).length + num.e - den.toString(2).length; // ≈ log2 of the quotient
  const s = Math.max(1100, 64 - lead);
  const shifted = num.e + s >= 0 ? a << BigInt(num.e + s) : a; // a·2^(e+s), with the rest of 2^(e+s) in the divisor
  const divisor = num.e + s >= 0 ? den : den << BigInt(-(num.e + s));
  const q = shifted / divisor;
  const r = shifted % divisor;
  const text = r === 0n ? dyadicString(q, -s) : dyadicString(2n * q + 1n, -s - 1);
  const v = roundDecimal(new ExactDecimal(text), dtype);
  return neg ? -v : v;
}

/**
 * The exact coefficients of a row's l_n (SPEC 6) multiplied by C: V_c = C(1 − ε)·w_c·q_c + ε·w_c,
 * so that C·l_n = Σ_c V_c·L_c, L_c = −log p_c; and their sum. Dyadic rationals, exactly (the
 * weights, the target and ε are binary values).
 */
function rowCoefficients(row: OptionRow, o: BatchOptions, weight: ArrayLike<number> | undefined): { V: Dyadic[]; total: Dyadic } {
  const n = row.logits.length;
  const eps = dyadicOf(o.labelSmoothing);
  const keepC = dyMul(dyInt(n), dySub(DY_ONE, eps)); // C(1 − ε)
  const V: Dyadic[] = [];
  let total = DY_ZERO;
  for (let c = 0; c < n; c++) {
    const w = dyadicOf(weight === undefined ? 1 : weight[c]);
    const q = dyadicOf(row.soft !== undefined ? row.soft[c] : c === row.target ? 1 : 0);
    const v = dyAdd(dyMul(keepC, dyMul(w, q)), dyMul(eps, w));
    V.push(v);
    total = dyAdd(total, v);
  }
  return { V, total };
}

/**
 * The gradient of one row's l_n with respect to its logits under options (SPEC 6,
 * 4.2), every component correctly rounded to `dtype` (ties to even): the gradient
 * oracle of the options.
 *
 * Derivation. l_n = Σ_c a_c·L_c with L_c = −log p_c = lse(x) − x_c and, from SPEC 6,
 * a_c = (1 − ε)·w_c·q_c + (ε/C)·w_c (q one-hot for a class-index target, the soft
 * target otherwise). ∂L_c/∂x_j = p_j − [j = c], so
 *
 *     g_j = A·p_j − a_j = ((A − a_j)·e_j − a_j·Q_j) / S,   A = Σ_c a_c,
 *
 * with e_j = exp(x_j − m), S = Σ_i e_i and Q_j = Σ_{i≠j} e_i = S − e_j (no 1 − p_j is
 * formed). Multiplying by C keeps every coefficient a dyadic rational, computed
 * exactly in BigInt: g_j = (U_j·e_j − V_j·Q_j) / (C·S), U_j = C(1 − ε)·Σ_{c≠j} w_c q_c
 * + ε·Σ_{c≠j} w_c, V_j = C(1 − ε)·w_j q_j + ε·w_j. Both products are ≥ 0, so the one
 * subtraction is the only place that cancels: its interval (the products' intervals
 * at P digits, each term with the relative error bound δ of the gradient oracle,
 * oracle/grad.ts) is divided by S's, and when both ends round to the same value of
 * the dtype that is the answer. When the ends are adjacent values, the one boundary b
 * between them is decided exactly: C·S·(g_j − b) = (U_j − bC)·e_j − (V_j + bC)·Q_j
 * (S = e_j + Q_j), with the classes tied in value grouped (`gradSide`), whose sign
 * `signOfSum` (boundary.ts) takes from the exact dyadic coefficients, so a component
 * within e^−Δ of b (a dominated row whose U_j/C is a midpoint, or classes tied at the
 * maximum whose rational part is b) needs no Δ/ln 10 digits. Otherwise P doubles (Ziv
 * 1991). A component undecided at ORACLE_MAX_DIGITS throws (SPEC 8: no guess).
 *
 * Exact cases, without exp: a masked class has p_j = 0 and g_j = −a_j = −V_j/C (a
 * masked target without smoothing: −w_t; a masked class without a coefficient: 0, as
 * SPEC 2.2); a row whose finite logits are all equal has e_j = 1 and g_j a rational,
 * rounded exactly (`roundQuotient`); a row whose every a_c is 0 (zero weights) has a
 * gradient of +0. An ignored row (ignore_index, or fully masked under `ignore`) and
 * a fully masked row under `zero` are +0 in every component; under `nan`, NaN. A
 * bare row (class-index target, ε = 0, weight 1) is `oracleGrad` itself.
 *
 * `weight`: the class weights as values of the dtype (resolveWeights), or undefined.
 */
export function oracleRowGrad(row: OptionRow, o: BatchOptions, dtype: AnyDtype, weight: ArrayLike<number> | undefined): Float64Array {
  pulse();
  const x = row.logits;
  const n = x.length;
  const kind = rowKind(row, o);
  if (kind === 'ignored' || kind === 'zero') return new Float64Array(n);
  if (kind === 'nan') return new Float64Array(n).fill(NaN);
  if (isBare(row, o, weight)) return oracleGrad(x, row.target, dtype).rounded;
  const { V, total } = rowCoefficients(row, o, weight);
  const out = new Float64Array(n);
  if (total.m === 0n) return out; // every a_c = 0: l_n ≡ 0
  const U = V.map((v) => dySub(total, v));
  const C = BigInt(n);
  const finite: number[] = [];
  for (let j = 0; j < n; j++) if (x[j] !== -Infinity) finite.push(j);
  const m = Math.max(...finite.map((j) => x[j]));
  for (let j = 0; j < n; j++) if (x[j] === -Infinity) out[j] = roundQuotient(dyNeg(V[j]), C, dtype); // p_j = 0: g_j = −V_j/C
  if (finite.every((j) => x[j] === m)) {
    // e_j = 1 on every finite class: S = #finite, Q_j = S − 1, g_j = (U_j − V_j·(S − 1)) / (C·S), a rational.
    const S = BigInt(finite.length);
    for (const j of finite) out[j] = roundQuotient(dyAdd(U[j], dyMul(dyInt(-(S - 1n)), V[j])), C * S, dtype);
    return out;
  }
  const uText = U.map((u) => dyadicString(u.m, u.e));
  const vText = V.map((v) => dyadicString(v.m, v.e));
  const xText = finite.map((j) => exactDecimalString(x[j]));
  const mText = exactDecimalString(m);
  const k = finite.find((j) => x[j] === m)!;
  const maxAbsD = Math.max(...finite.map((j) => Math.abs(x[j] - m)).filter((d) => d <= -EXP_FLOOR_GRAD));
  const undecided = new Set(finite);
  const groups = logitGroups(x, finite, m);
  for (let digits = ORACLE_FIRST_DIGITS; ; digits *= 2) {
    pulse();
    const last = digits >= ORACLE_MAX_DIGITS;
    const D = workingDecimal(digits);
    const one = new D(1);
    // δ: every term e_j, the sum S, the coefficients read at P digits, each product and quotient (oracle/grad.ts's bound, doubled).
    const delta = new D(10).pow(1 - digits).times(8 * (maxAbsD + n + 4));
    const lo = one.minus(delta);
    const hi = one.plus(delta);
    const mD = new D(mText);
    // Terms below EXP_FLOOR (under decimal.js's range) are bounded together by NEGLIGIBLE (10^(−8·10^15)).
    const e = new Map<number, Decimal>();
    let T = new D(0); // Σ_{i≠k} e_i, k the first index of the maximum
    let floor = new D(0);
    finite.forEach((j, i) => {
      const d = x[j] - m;
      if (d < EXP_FLOOR_GRAD) {
        floor = new D(NEGLIGIBLE_GRAD);
        return;
      }
      const ej = j === k ? one : new D(xText[i]).minus(mD).exp();
      e.set(j, ej);
      if (j !== k) T = T.plus(ej);
    });
    const S = T.plus(1);
    let groupSums: GroupSums | undefined; // computed once per precision, when a component reaches the exact test
    const sLo = S.times(lo);
    const sHi = S.times(hi).plus(floor);
    for (const j of [...undecided]) {
      const ej = e.get(j);
      const eLo = ej === undefined ? new D(0) : ej.times(lo);
      const eHi = ej === undefined ? floor : ej.times(hi);
      // Q_j = Σ_{i≠j} e_i: T itself for j = k; otherwise S − e_j ≥ 1 (e_k = 1 is in it), whose absolute error δ(S + 1) is relatively small.
      const qLo = j === k ? T.times(lo) : sLo.minus(eHi);
      const qHi = j === k ? T.times(hi).plus(floor) : sHi.minus(eLo);
      const Uj = new D(uText[j]);
      const Vj = new D(vText[j]);
      // N_j = U_j·e_j − V_j·Q_j: each product's interval, and the subtraction's rounding as δ of the larger term.
      const slack = delta.times(Uj.times(eHi).plus(Vj.times(qHi)));
      let nLo = Uj.times(eLo).times(lo).minus(Vj.times(qHi).times(hi)).minus(slack);
      let nHi = Uj.times(eHi).times(hi).minus(Vj.times(qLo).times(lo)).plus(slack);
      // One term alone has a known sign (a term below EXP_FLOOR: N_j ∈ [0, U_j·NEGLIGIBLE]).
      if (Vj.isZero() && nLo.lt(0)) nLo = new D(0);
      if (Uj.isZero() && nHi.gt(0)) nHi = new D(0);
      const CD = new D(n);
      let gLo: Decimal;
      let gHi: Decimal;
      if (nLo.gte(0)) {
        gLo = nLo.div(sHi.times(CD)).times(lo);
        gHi = nHi.div(sLo.times(CD)).times(hi);
      } else if (nHi.lte(0)) {
        gLo = nLo.div(sLo.times(CD)).times(hi);
        gHi = nHi.div(sHi.times(CD)).times(lo);
      } else {
        gLo = nLo;
        gHi = nHi;
      }
      const rLo = roundDecimal(gLo, dtype);
      const rHi = roundDecimal(gHi, dtype);
      const straddlesZero = nLo.lt(0) && nHi.gt(0);
      if (Object.is(rLo, rHi) && !straddlesZero) {
        out[j] = rLo;
        undecided.delete(j);
        continue;
      }
      // One rounding boundary b between the ends (0 when N_j's sign is the question and g_j's interval
      // rounds to −0 and +0 only): g_j − b = ((U_j − bC)·e_j − (V_j + bC)·Q_j)/(C·S), as S = e_j + Q_j,
      // whose sign boundary.ts decides from the exact dyadic coefficients (no cancellation of the
      // large terms left to the intervals: see its comment). e_j > 0, and Q_j > 0 (two finite classes).
      let b: Dyadic | undefined;
      if (straddlesZero) {
        const CD2 = sLo.times(CD);
        const zLo = roundDecimal(nLo.div(CD2).times(hi), dtype);
        const zHi = roundDecimal(nHi.div(CD2).times(hi), dtype);
        b = Object.is(zLo, -0) && Object.is(zHi, 0) ? DY_ZERO : undefined;
      } else b = boundaryBetween(rLo, rHi, dtype);
      const side = b === undefined ? undefined : gradSide(groups, groupSums ??= groups.sums(D, lo, hi, floor), b, U[j], V[j], C, x[j], m);
      if (side !== undefined) {
        const [below, above] = straddlesZero ? [-0, 0] : [rLo, rHi];
        out[j] = side > 0 ? above : side < 0 ? below : tieToEven(below, above, dtype);
        undecided.delete(j);
      } else if (last) {
        throw undecidedRowError(row, dtype, `gradient component ${j}`);
      }
    }
    if (undecided.size === 0) return out;
  }
}

/**
 * A row's finite logits grouped by value, for the exact test at a boundary: the classes tied
 * with the maximum m (e = 1 exactly), the other values above EXP_FLOOR_GRAD in ascending
 * order with their counts, and the count of those below it (whose exponentials together are
 * at most NEGLIGIBLE_GRAD).
 */
interface LogitGroups {
  readonly top: number;
  readonly values: readonly number[];
  readonly counts: readonly number[];
  readonly index: ReadonlyMap<number, number>;
  readonly below: number;
  readonly sums: (D: typeof Decimal, lo: Decimal, hi: Decimal, floor: Decimal) => GroupSums;
}

/**
 * At one precision: e_v = exp(v − m) of each group and, for group i, the exponentials of every
 * class outside group i and the maximum's group, Σ_{g≠i} n_g·e_g, as prefix plus suffix sums of
 * nonnegative terms (no subtraction, so each keeps a relative error bound).
 */
interface GroupSums {
  /** e_v of group i as an interval. */
  readonly eLo: readonly Decimal[];
  readonly eHi: readonly Decimal[];
  /** Σ_{g≠i} n_g·e_g as an interval, i = −1 for a class of the maximum's group or below the floor (then every group counts). */
  readonly rest: (i: number) => { lo: Decimal; hi: Decimal };
  readonly floor: Decimal;
}

function logitGroups(x: ArrayLike<number>, finite: readonly number[], m: number): LogitGroups {
  const count = new Map<number, number>();
  let top = 0;
  let below = 0;
  for (const j of finite) {
    const v = x[j];
    if (v === m) top++;
    else if (v - m < EXP_FLOOR_GRAD) below++;
    else count.set(v, (count.get(v) ?? 0) + 1);
  }
  const values = [...count.keys()].sort((a, b) => a - b);
  const counts = values.map((v) => count.get(v)!);
  const index = new Map(values.map((v, i) => [v, i]));
  const mText = exactDecimalString(m);
  const sums = (D: typeof Decimal, lo: Decimal, hi: Decimal, floor: Decimal): GroupSums => {
    const mD = new D(mText);
    const e = values.map((v) => new D(exactDecimalString(v)).minus(mD).exp());
    const E = e.map((ev, i) => ev.times(counts[i]));
    const k = values.length;
    const prefix: Decimal[] = [new D(0)];
    for (let i = 0; i < k; i++) prefix.push(prefix[i].plus(E[i]));
    const suffix: Decimal[] = new Array<Decimal>(k + 1);
    suffix[k] = new D(0);
    for (let i = k - 1; i >= 0; i--) suffix[i] = suffix[i + 1].plus(E[i]);
    // Each e_v within δ (the loop's bound for one exponential), each sum of at most C nonnegative terms
    // within another δ (C roundings of 10^(1−P)/2 each, inside δ's 8C·10^(1−P)): 2δ in all.
    const one = new D(1);
    const twiceLo = one.minus(one.minus(lo).times(2));
    const twiceHi = one.plus(hi.minus(one).times(2));
    const rest = (i: number) => {
      const r = i < 0 ? prefix[k] : prefix[i].plus(suffix[i + 1]);
      return { lo: r.times(twiceLo), hi: r.times(twiceHi).plus(floor) };
    };
    return { eLo: e.map((v) => v.times(lo)), eHi: e.map((v) => v.times(hi)), rest, floor };
  };
  return { top, values, counts, index, below, sums };
}

/**
 * sign(g_j − b) for the gradient component j of oracleRowGrad, exactly: with β = V_j + bC,
 *
 *     C·S·(g_j − b) = (U_j − bC)·e_j − β·Q_j
 *                   = α·e_j − β·n_top·[j ∉ top] − β·R_j,   α = (U_j − bC) − (t_j − 1)·β,
 *
 * where t_j is the number of classes tied with x_j (Q_j holds t_j − 1 copies of e_j), n_top
 * the number tied with the maximum (e = 1 exactly) and R_j the exponentials of every other
 * class. Grouping the tied classes makes every exactly known part one dyadic: for j tied with
 * the maximum the value is α − β·R_j, so a row [0, 0, −Δ] whose α is 0 (a midpoint, or 0, of
 * the rational part) is decided from R_j's sign at once, where the two-term form U_j·e_j −
 * β·Q_j cancels to e^−Δ and would need Δ/ln 10 digits. By Lindemann–Weierstrass (1, e^(v−m)
 * for distinct rational v − m ≠ 0 are linearly independent over the rationals) the value is 0
 * only when every coefficient is, which signOfSum reports exactly; otherwise it decides when
 * the intervals separate. Undefined: not at this precision.
 */
function gradSide(g: LogitGroups, s: GroupSums, b: Dyadic, Uj: Dyadic, Vj: Dyadic, C: bigint, xj: number, m: number): -1 | 0 | 1 | undefined {
  const bC = dyMul(b, dyInt(C));
  const beta = dyAdd(Vj, bC);
  const i = xj === m ? -1 : g.index.get(xj) ?? -1; // −1: the maximum's group or below the floor
  const tied = xj === m ? g.top : i >= 0 ? g.counts[i] : 1; // below the floor: t_j counts alone (its ties are inside R_j's floor bound)
  const alpha = dySub(dySub(Uj, bC), dyMul(dyInt(tied - 1), beta));
  const rest = s.rest(i);
  const terms: SignTerm[] = [];
  let X: Dyadic;
  // R_j > 0 is known exactly when some class lies outside j's group and the maximum's (below the floor: outside j itself).
  const others = xj === m ? g.values.length + g.below > 0 : g.values.length + g.below - 1 > 0;
  if (xj === m) X = alpha;
  else {
    X = dyNeg(dyMul(dyInt(g.top), beta));
    terms.push(i >= 0 ? { c: alpha, lo: s.eLo[i], hi: s.eHi[i], positive: true } : { c: alpha, lo: s.floor.times(0), hi: s.floor, positive: true });
  }
  terms.push({ c: dyNeg(beta), lo: rest.lo, hi: rest.hi, positive: others });
  return signOfSum(X, terms, s.floor.constructor as typeof Decimal);
}

/**
 * `oracleRowGrad`'s answer from the tier that can decide it: a bare row by
 * `oracleGradRounded` (the gradient's fast tier), any other by `fastRowGrad`
 * (fast-batch.ts) when it decides every component, else `oracleRowGrad` (decimal.js).
 * Equal bit for bit to `oracleRowGrad` (fast-batch.test.ts). Same arguments.
 */
export function oracleRowGradRounded(row: OptionRow, o: BatchOptions, dtype: AnyDtype, weight: ArrayLike<number> | undefined): Float64Array {
  pulse();
  if (rowKind(row, o) === 'loss' && isBare(row, o, weight)) return oracleGradRounded(row.logits, row.target, dtype);
  const out = new Float64Array(row.logits.length);
  if (fastTierOn() && fastRowGrad(row, o, dtype, weight, out) === 0) return out;
  return oracleRowGrad(row, o, dtype, weight);
}

/**
 * SPEC 8: the oracle never guesses. A value still undecided at ORACLE_MAX_DIGITS, after the exact
 * test at the boundary (boundary.ts), would be a hard case of the table maker's dilemma thousands of
 * digits deep; none is known. If one turns up the run stops with this message rather than report a
 * guess.
 */
function undecidedRowError(row: OptionRow, dtype: AnyDtype, what: string): Error {
  const x = row.logits;
  const shown = Array.from(x.length > 8 ? Array.prototype.slice.call(x, 0, 8) : x, String).join(' ');
  const target = row.soft !== undefined ? 'a soft target' : `target ${row.target}`;
  return new Error(`options oracle: the ${what} of the ${dtype} row [${shown}${x.length > 8 ? ` … (${x.length} classes)` : ''}] (${target}) is not decided at ${ORACLE_MAX_DIGITS} digits; please report this row with its options`);
}

/** exp(d) for d below this is under decimal.js's exponent range (as the loss oracle's EXP_FLOOR). */
const EXP_FLOOR_GRAD = -2e16;
/** A bound for such terms together (the loss oracle's: 10^(−8·10^15)). */
const NEGLIGIBLE_GRAD = NEGLIGIBLE;
