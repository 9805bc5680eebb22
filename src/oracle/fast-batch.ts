/**
 * The oracle's fast tier under PyTorch's batch options (issue 17; SPEC sections 6
 * and 8): each row's l_n and the batch's `sum` and `mean`, correctly rounded to the
 * dtype when a rigorous interval decides the rounding, else undefined (the caller,
 * `oracleBatchRounded` in batch.ts, then asks the decimal.js tier, never a guess).
 *
 * The formula is batch.ts's: with L_c = −log p_c = (m − x_c) + log1p(T),
 *
 *     l_n = (1 − ε)·A + (ε/C)·B,   A = Σ_c (w_c·q_c)·L_c,   B = Σ_c w_c·L_c,
 *
 * over the classes with a positive coefficient (w_c > 0 and q_c > 0 for A, with
 * ε < 1; w_c > 0 for B, with ε > 0). Every quantity is ≥ 0, so nothing cancels.
 * Each value is a double-double v̂ = h + l (renormalised, |l| ≤ ulp(h)/2) with an
 * absolute bound E: |v − v̂| ≤ E, u = 2^−53, η = 2^−1074. The steps and their bounds:
 *
 * 1. log1p(T): `shiftedSum64` and `lossFromSum64` with D = 0 (fast64.ts steps 2–7,
 *    the loss tier's own evaluation): ŷ within bound + η (η: the loss tier's T = 0
 *    shortcut reports 0 for a T below η/2).
 * 2. L_c = D_c + ŷ, D_c = m − x_c exactly (TwoSum): a sum of two values ≥ 0 (`add`).
 * 3. Sums of values ≥ 0 (`add`): highs by TwoSum (exact), the lows (each ≤ u of its
 *    high) added in two roundings of at most 2.01u·(a + b) each: 4.02u²·(a + b) <
 *    2^−100·ĥ, plus η for lows below the normal range; the operands' E add.
 * 4. Products (`mul`: the coefficient w_c·q_c, its product with L_c, w_c·L_c, (1 − ε)·A,
 *    (ε/C)·B): |xy − x̂ŷ| ≤ E_x·|ŷ| + E_y·|x̂| + E_x·E_y, plus the product's own
 *    rounding (`mulDD` in fast64.ts: 2^−100 relative, or 3.01u + η outside its range).
 *    1 − ε is exact (TwoSum; ε ∈ [0, 1]); ε/C is Dekker's division (`divDD`,
 *    2^−98 relative) or, for ε < 2^−900, the double quotient (u relative + η).
 * 5. The batch sum: the rows' values by step 3. The mean: total/den, den = Σ w_{y_n}
 *    (the rows' `rowWeight`, step 3); |x/y − x̂/ŷ| ≤ (E_x + |x̂/ŷ|·E_y)/(ŷ − E_y),
 *    plus divDD's 2^−98·|q̂|·1.01 (Dekker's quotient is not renormalised: 1.01).
 * 6. Every E is computed in double with a few roundings of u each: the final E is
 *    multiplied by 1 + 2^−40.
 * 7. The rounding test: float64 by fast64.ts's (`decide64`, step 8: the interval holds
 *    no midpoint; losses below 2^−1000 are left to the slow tier); the formats of at
 *    most 24 bits round both ends of the interval, widened outward by an ulp of a
 *    double at each of the two additions that form them, and agree.
 *
 * Special values, exactly as the decimal tier decides them (batch.ts): an ignored
 * row and a fully masked row under `zero` are 0, under `nan` NaN; a masked class
 * with a positive coefficient makes l_n = +Infinity; a row without a class with a
 * positive coefficient is 0; the sum is NaN with a NaN row, else +Infinity with an
 * infinite one; the mean is NaN when no row has weight (0/0), else the sum's special
 * value. Declined (undefined): a weight or soft target that is not finite or is
 * negative, m − x_c beyond the doubles, a bound that is not finite, and every value
 * whose interval holds a rounding midpoint.
 */
import type { BatchOptions, OptionRow } from '../cases/options.js';
import { rowKind, rowWeight } from '../cases/options.js';
import type { AnyDtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { down, up } from './fast.js';
import { decide64, DIV_DD_REL, ddProduct, ddQuotient, divDD, firstMax, lossFromSum64, mulDD, shiftedSum64 } from './fast64.js';

const U = 2 ** -53;
const ETA = 2 ** -1074;
const ADD_REL = 2 ** -100;
const SLACK = 1 + 2 ** -40;

/** A value ≥ 0 known as h + l within E. */
export interface Enclosure {
  readonly h: number;
  readonly l: number;
  readonly E: number;
}

const ZERO: Enclosure = { h: 0, l: 0, E: 0 };

/** Step 3: a + b for a, b ≥ 0. */
function add(a: Enclosure, b: Enclosure): Enclosure {
  const s = a.h + b.h;
  const bb = s - a.h;
  const e = a.h - (s - bb) + (b.h - bb);
  const t = e + a.l + b.l;
  const h = s + t;
  return { h, l: t - (h - s), E: a.E + b.E + ADD_REL * h * (1 + 2 ** -50) + ETA };
}

/** Step 4: x·y (an exact zero factor gives an exact zero). */
function mul(x: Enclosure, y: Enclosure): Enclosure {
  if ((x.h === 0 && x.E === 0) || (y.h === 0 && y.E === 0)) return ZERO;
  mulDD(x.h, x.l, y.h, y.l);
  const big = 1 + 2 ** -50; // |x̂| ≤ |xh|(1 + u)
  return { h: ddProduct[0], l: ddProduct[1], E: x.E * Math.abs(y.h) * big + y.E * Math.abs(x.h) * big + x.E * y.E + ddProduct[2] };
}

/** a − b, any signs: TwoSum of the highs, the lows in two roundings of at most 2.01u·(|a| + |b|) each (< 2^−100·(|a| + |b|)), plus η. */
function sub(a: Enclosure, b: Enclosure): Enclosure {
  const s = a.h - b.h;
  const bb = s - a.h;
  const e = a.h - (s - bb) + (-b.h - bb);
  const t = e + a.l - b.l;
  const h = s + t;
  return { h, l: t - (h - s), E: a.E + b.E + ADD_REL * (Math.abs(a.h) + Math.abs(b.h)) * (1 + 2 ** -50) + ETA };
}

/**
 * x/y for y > 0 and any x (step 5's bound): Dekker's quotient of |x| (2^−98·1.01
 * relative) where |xh|, yh ∈ [2^−900, 2^900], else the double quotient (u relative + η);
 * |x/y − x̂/ŷ| ≤ (E_x + |x̂/ŷ|·E_y)/(ŷ − E_y). Undefined when E_y ≥ ŷ/2.
 */
function div(x: Enclosure, y: Enclosure): Enclosure | undefined {
  if (!(y.E < y.h / 2)) return undefined;
  const ax = Math.abs(x.h);
  const sign = x.h < 0 ? -1 : 1;
  let qh: number;
  let ql: number;
  let own: number;
  if (ax >= 2 ** -900 && ax <= 2 ** 900 && y.h >= 2 ** -900 && y.h <= 2 ** 900) {
    divDD(ax, sign * x.l, y.h, y.l);
    qh = ddQuotient[0];
    ql = ddQuotient[1];
    own = DIV_DD_REL * qh * 1.01;
  } else {
    qh = ax / y.h;
    ql = 0;
    own = 2 * U * qh + ETA; // the double quotient's rounding and the lows left out (≤ 2u relative)
  }
  const E = (x.E + qh * 1.01 * y.E) / (y.h - y.E) + own;
  return renormalised({ h: sign * qh, l: sign * ql, E });
}

/** The result of one row: an enclosure, a special value (0, NaN, +Infinity: exact), or undefined (declined). */
type RowValue = Enclosure | number | undefined;

/**
 * Steps 1–4 for one row (the special values first, as batch.ts's `planRow` and
 * `rowInterval` decide them).
 */
function rowValue(row: OptionRow, o: BatchOptions, weight: ArrayLike<number> | undefined): RowValue {
  const kind = rowKind(row, o);
  if (kind === 'ignored' || kind === 'zero') return 0;
  if (kind === 'nan') return NaN;
  const x = row.logits;
  const C = x.length;
  const eps = o.labelSmoothing;
  // The classes with a positive coefficient: a masked one makes l_n = +Infinity whatever the rest is.
  let any = false;
  for (let c = 0; c < C; c++) {
    const w = weight === undefined ? 1 : weight[c];
    const q = row.soft !== undefined ? row.soft[c] : c === row.target ? 1 : 0;
    if (!(Number.isFinite(w) && Number.isFinite(q) && w >= 0 && q >= 0)) return undefined;
    if (!((eps < 1 && w > 0 && q > 0) || (eps > 0 && w > 0))) continue;
    if (x[c] === -Infinity) return Infinity;
    any = true;
  }
  if (!any) return 0;
  // Step 1.
  const k = firstMax(x);
  const m = x[k];
  const y = lossFromSum64(0, 0, shiftedSum64(x, k, m));
  if (!(y.bound < Infinity) || !(y.hi >= 0)) return undefined;
  const Y: Enclosure = { h: y.hi, l: y.lo, E: y.bound + ETA };
  let A = ZERO;
  let B = ZERO;
  for (let c = 0; c < C; c++) {
    const w = weight === undefined ? 1 : weight[c];
    const q = row.soft !== undefined ? row.soft[c] : c === row.target ? 1 : 0;
    const inA = eps < 1 && w > 0 && q > 0;
    const inB = eps > 0 && w > 0;
    if (!inA && !inB) continue;
    // Step 2: D_c = m − x_c exactly.
    const xc = x[c];
    const Dh = m - xc;
    if (Dh === Infinity) return undefined;
    const bD = Dh - m;
    const L = add({ h: Dh, l: m - (Dh - bD) + (-xc - bD), E: 0 }, Y);
    if (inA) {
      mulDD(w, 0, q, 0);
      A = add(A, mul({ h: ddProduct[0], l: ddProduct[1], E: ddProduct[2] }, L));
    }
    if (inB) B = add(B, mul({ h: w, l: 0, E: 0 }, L));
  }
  // l_n = (1 − ε)·A + (ε/C)·B.
  const kh = 1 - eps; // TwoSum(1, −ε): exact
  const bk = kh - 1;
  const keep: Enclosure = { h: kh, l: 1 - (kh - bk) + (-eps - bk), E: 0 };
  let spread = ZERO;
  if (eps > 0) {
    if (eps >= 2 ** -900) {
      divDD(eps, 0, C, 0);
      spread = { h: ddQuotient[0], l: ddQuotient[1], E: DIV_DD_REL * ddQuotient[0] * 1.01 };
    } else {
      const s = eps / C;
      spread = { h: s, l: 0, E: U * s + ETA };
    }
  }
  const v = add(eps < 1 ? mul(keep, A) : ZERO, eps > 0 ? mul(spread, B) : ZERO);
  return renormalised(v);
}

/** h + l renormalised (Fast2Sum: the lows of `mulDD` and `divDD` may reach an ulp of the high), E unchanged. */
function renormalised(v: Enclosure): Enclosure {
  const h = v.h + v.l;
  return { h, l: v.l - (h - v.h), E: v.E };
}

/** Step 7: the value of `dtype` every point of h + l ± E rounds to, or undefined. */
export function roundEnclosure(v: Enclosure, dtype: AnyDtype): number | undefined {
  const E = v.E * SLACK;
  if (!(E < Infinity)) return undefined;
  const fmt = formatOf(dtype);
  if (fmt.precision > 24) return decide64(v.h, v.l, E).rounded;
  const lo = Math.max(0, down(v.h + down(v.l - E, 1), 1));
  const hi = up(v.h + up(v.l + E, 1), 1);
  const rlo = fmt.round(lo);
  const rhi = fmt.round(hi);
  return Object.is(rlo, rhi) ? rlo : undefined;
}

/** What the fast tier decided for a batch: each row's l_n, the sum and the mean; undefined where it declined. */
export interface FastBatch {
  readonly rows: (number | undefined)[];
  readonly sum: number | undefined;
  readonly mean: number | undefined;
}

/**
 * The fast tier of `oracleBatch` (batch.ts), same arguments: l_n of every row and
 * the batch's `sum` and `mean` (NaN placeholders without `reduce`, as there), each
 * correctly rounded to `dtype` where the rounding test decides it, else undefined.
 *
 * @param rows - logits of the dtype (−Infinity masked; fully masked rows allowed), a class index or a soft target
 * @param o - the batch options (SPEC 6)
 * @param dtype - any of the four formats
 * @param weight - class weights as values of the dtype (resolveWeights), or undefined for all 1
 * @param reduce - whether the sum and mean are asked for
 */
export function fastBatch(rows: readonly OptionRow[], o: BatchOptions, dtype: AnyDtype, weight: ArrayLike<number> | undefined, reduce = true): FastBatch {
  const values = rows.map((r) => rowValue(r, o, weight));
  const rounded = values.map((v) => (v === undefined ? undefined : typeof v === 'number' ? v : roundEnclosure(v, dtype)));
  if (!reduce) return { rows: rounded, sum: NaN, mean: NaN };
  // The specials of batch.ts's sumIntervals and mean, in its order.
  // The sum's special value comes from the rows (a NaN row, else an infinite one), exactly as batch.ts
  // decides it. A finite sum that merely rounds to +Infinity in the dtype is not special: the mean is then
  // the exact sum over the exact weight, which may well be finite (found by review: 40 float16 rows of
  // loss 2000 under `mean` were answered +Infinity, the decimal.js tier's 2000).
  let special: number | undefined;
  if (values.some((v) => Number.isNaN(v))) special = NaN;
  else if (values.some((v) => v === Infinity)) special = Infinity;
  let sum: number | undefined = special;
  let total: Enclosure | undefined = ZERO;
  if (special === undefined) {
    for (const v of values) {
      if (v === undefined) total = undefined;
      else if (total !== undefined && typeof v !== 'number') total = add(total, v);
    }
    sum = total === undefined ? undefined : roundEnclosure(renormalised(total), dtype);
  }
  let mean: number | undefined;
  let den = ZERO;
  let weighted = false;
  for (const r of rows) {
    const w = rowWeight(r, o, weight);
    if (!(w >= 0 && w < Infinity)) return { rows: rounded, sum, mean: undefined };
    if (w > 0) weighted = true;
    den = add(den, { h: w, l: 0, E: 0 });
  }
  if (!weighted) mean = NaN;
  else if (special !== undefined) mean = special;
  else if (total !== undefined) {
    const t = renormalised(total);
    const d = renormalised(den);
    if (t.h === 0 && t.E === 0) mean = 0;
    else if (t.h >= 2 ** -900 && t.h <= 2 ** 900 && d.h >= 2 ** -900 && d.h <= 2 ** 900 && d.E < d.h / 2) {
      divDD(t.h, t.l, d.h, d.l);
      const qh = ddQuotient[0];
      const E = (t.E + qh * 1.01 * d.E) / (d.h - d.E) + DIV_DD_REL * qh * 1.01;
      mean = roundEnclosure(renormalised({ h: qh, l: ddQuotient[1], E }), dtype);
    }
  }
  return { rows: rounded, sum, mean };
}

/**
 * The fast tier of `oracleRowGrad` (batch.ts): the gradient of one row's l_n under
 * options, written to `out` (length n), NaN where the rounding test did not decide
 * a component; returns how many it left undecided. Same arguments and special values
 * as `oracleRowGrad`, whose derivation this follows in double-double enclosures:
 *
 *     g_j = (U_j·e_j − V_j·Q_j) / (C·S),   V_j = C(1 − ε)·w_j·q_j + ε·w_j,   U_j = Σ_c V_c − V_j,
 *
 * e_j = exp(x_j − m) from `shiftedSum64`'s kept terms (e_j = 2^q_j·(H_j + L_j)
 * within a relative 1.001·expRel_j, plus 2η for the scaling, and a term counted as 0
 * within 2^−1096 < η), S = 1 + T within ET, Q_k = T and Q_j = S − e_j (j ≠ k). The
 * coefficients are sums and products of values ≥ 0 (steps 3 and 4), U_j the one
 * subtraction of exact-sign values (`sub`), N_j = U_j·e_j − V_j·Q_j the one that
 * cancels: its enclosure straddling 0 leaves the component undecided, as the decimal
 * tier's does; otherwise g_j = N_j/(C·S) (`div`) and the rounding test on |g_j|, with
 * its sign (a negative value rounding to 0 is −0, as `roundDecimal` gives). A masked
 * class has g_j = −V_j/C (+0 when V_j is exactly 0); every V_j exactly 0 gives +0.
 *
 * @param row - one row: logits (length n, values of `dtype`, finite or −Infinity for a masked class) and a
 *   class index or soft target (length n)
 * @param o - the batch options (class weights, ignore index, label smoothing ε ∈ [0, 1], masked rows)
 * @param dtype - the format to round to
 * @param weight - the class weights as values of `dtype` (`resolveWeights`, length n), or undefined
 * @param out - length n: receives ∂l_n/∂x_j correctly rounded to `dtype`, NaN where undecided (and every
 *   component NaN for a row whose l_n is NaN under masked rows `nan`: a decided answer)
 * @returns the number of components left undecided (0 when every one is decided)
 */
export function fastRowGrad(row: OptionRow, o: BatchOptions, dtype: AnyDtype, weight: ArrayLike<number> | undefined, out: Float64Array): number {
  const x = row.logits;
  const n = x.length;
  const kind = rowKind(row, o);
  if (kind === 'ignored' || kind === 'zero') {
    out.fill(0);
    return 0;
  }
  if (kind === 'nan') {
    out.fill(NaN);
    return 0; // NaN is the answer here, not an undecided component
  }
  const eps = o.labelSmoothing;
  const kh = 1 - eps; // TwoSum(1, −ε): exact
  const bk = kh - 1;
  const keepC = mul({ h: kh, l: 1 - (kh - bk) + (-eps - bk), E: 0 }, { h: n, l: 0, E: 0 }); // C(1 − ε)
  const V: Enclosure[] = [];
  let total = ZERO;
  for (let c = 0; c < n; c++) {
    const w = weight === undefined ? 1 : weight[c];
    const q = row.soft !== undefined ? row.soft[c] : c === row.target ? 1 : 0;
    if (!(Number.isFinite(w) && Number.isFinite(q) && w >= 0 && q >= 0)) {
      out.fill(NaN);
      return n;
    }
    mulDD(w, 0, q, 0);
    const wq: Enclosure = w === 0 || q === 0 ? ZERO : { h: ddProduct[0], l: ddProduct[1], E: ddProduct[2] };
    mulDD(eps, 0, w, 0);
    const ew: Enclosure = eps === 0 || w === 0 ? ZERO : { h: ddProduct[0], l: ddProduct[1], E: ddProduct[2] };
    const v = add(mul(keepC, wq), ew);
    const vc = wq === ZERO && ew === ZERO ? ZERO : v;
    V.push(vc);
    total = vc === ZERO ? total : add(total, vc);
  }
  if (total === ZERO) {
    out.fill(0);
    return 0;
  }
  const Cn: Enclosure = { h: n, l: 0, E: 0 };
  let undecided = 0;
  const put = (j: number, g: Enclosure | undefined) => {
    let r: number | undefined;
    if (g !== undefined && (g.h - g.E > 0 || g.h + g.E < 0)) {
      const sign = g.h < 0 ? -1 : 1;
      r = roundEnclosure(renormalised({ h: sign * g.h, l: sign * g.l, E: g.E }), dtype);
      if (r !== undefined) r *= sign;
    }
    if (r === undefined) {
      out[j] = NaN;
      undecided++;
    } else out[j] = r;
  };
  for (let j = 0; j < n; j++) if (x[j] === -Infinity) (V[j] === ZERO ? (out[j] = 0) : put(j, div(sub(ZERO, V[j]), Cn)));
  const k = firstMax(x);
  const m = x[k];
  if (keepTerms.length < 4 * n) keepTerms = new Float64Array(4 * n);
  const sum = shiftedSum64(x, k, m, keepTerms);
  const T: Enclosure = renormalised({ h: sum.Th, l: sum.Tl, E: sum.ET });
  const S = add({ h: 1, l: 0, E: 0 }, T);
  const CS = mul(Cn, S);
  for (let j = 0; j < n; j++) {
    if (x[j] === -Infinity) continue;
    let e: Enclosure;
    if (j === k) e = { h: 1, l: 0, E: 0 };
    else if (keepTerms[4 * j] === 0) e = { h: 0, l: 0, E: ETA }; // below 2^−1096
    else {
      const sc = 2 ** keepTerms[4 * j + 2];
      const eh = keepTerms[4 * j] * sc;
      const el = keepTerms[4 * j + 1] * sc;
      e = renormalised({ h: eh, l: el, E: keepTerms[4 * j + 3] * 1.001 * (eh + Math.abs(el)) + 2 * ETA });
    }
    const Q = j === k ? T : sub(S, e);
    const U = sub(total, V[j]);
    const N = sub(mul(U, e), mul(V[j], Q));
    put(j, div(N, CS));
  }
  return undecided;
}

/** Scratch for the kept terms of `fastRowGrad` (grows, never shrinks): 4 doubles per class. */
let keepTerms = new Float64Array(0);
