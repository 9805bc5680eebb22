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
interface Enclosure {
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

/** Step 4: x·y for x, y ≥ 0. */
function mul(x: Enclosure, y: Enclosure): Enclosure {
  mulDD(x.h, x.l, y.h, y.l);
  const big = 1 + 2 ** -50; // |x̂| ≤ |xh|(1 + u)
  return { h: ddProduct[0], l: ddProduct[1], E: x.E * y.h * big + y.E * x.h * big + x.E * y.E + ddProduct[2] };
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
  let sum: number | undefined;
  let total: Enclosure | undefined = ZERO;
  if (values.some((v) => Number.isNaN(v))) sum = NaN;
  else if (values.some((v) => v === Infinity)) sum = Infinity;
  else {
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
  else if (sum !== undefined && (Number.isNaN(sum) || sum === Infinity)) mean = sum;
  else if (total !== undefined && sum !== undefined) {
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
