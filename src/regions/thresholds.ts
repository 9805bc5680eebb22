/**
 * The analytic thresholds of exp in each format of the format table, and where the dtype's own exp
 * (Math.exp, then rounded to the dtype as the kernels do) crosses them.
 *
 * - overflow: exp(x) > max + ulp(max)/2 rounds to Infinity; analytic x = ln(max)
 *   (float32 88.7228390…, float64 709.7827128…, float16 11.0898664…, bfloat16
 *   88.7189252…; the dtype's exp crosses at float16 11.0859375 → 11.09375, bfloat16
 *   88.5 → 89).
 * - subnormal: exp(x) < minNormal; analytic x = ln(minNormal) (−87.336…, −708.396…).
 * - ln(minSubnormal) (−103.279…, −744.440…): below it exp(x) is under the
 *   smallest subnormal, but still rounds up to it down to:
 * - zero: exp(x) rounds to 0 once exp(x) ≤ minSubnormal/2 (the midpoint between 0
 *   and minSubnormal goes to the even 0); analytic x = ln(minSubnormal/2)
 *   (−103.972…, −745.133…).
 *
 * - absorption: 1 + exp(−g) rounds to 1 once exp(−g) ≤ u = 2^−p (the tie goes to
 *   the even 1); analytic g = −ln(u) = p·ln 2 (16.635…, 36.737…; float16 7.624…,
 *   bfloat16 5.545…). A confident
 *   row's loss log(1 + exp(−g)) vanishes there in every pipeline that forms
 *   Σ exp(x_j − m) with the 1 inside (not a threshold of exp: not on the grid).
 *
 * Each `pair` is two adjacent values of the dtype: `last` the largest x on the
 * near side, `first` = nextUp(last) the smallest on the far side, found by
 * bisection over ordinals on the dtype's exp.
 */
import { Decimal } from 'decimal.js';
import type { AnyDtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { nextDown, nextUp } from '../float/ordinal.js';
import { exactDecimalString } from '../oracle/exact.js';
import { lastWhere } from './bisect.js';

export interface ThresholdPair {
  readonly last: number;
  readonly first: number;
}

export interface Threshold {
  readonly key: 'overflow' | 'subnormal' | 'minSubnormal' | 'zero' | 'absorption';
  /** What it is, for tables: "ln(max): exp overflows". */
  readonly label: string;
  /** The analytic value to 20 significant digits. */
  readonly analytic: string;
  /** The analytic value rounded to the dtype: the grid includes it. */
  readonly rounded: number;
  /** Where the dtype's exp crosses it; undefined for ln(minSubnormal), which exp does not cross. */
  readonly pair?: ThresholdPair;
}

const D = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN });

function ln(x: number): Decimal {
  return new D(exactDecimalString(x)).ln();
}

const cache = new Map<AnyDtype, readonly Threshold[]>();

/** The thresholds of `dtype`, in the order overflow, subnormal, minSubnormal, zero, absorption. */
export function expThresholds(dtype: AnyDtype): readonly Threshold[] {
  const hit = cache.get(dtype);
  if (hit !== undefined) return hit;
  const fmt = formatOf(dtype);
  const exp = (x: number) => fmt.round(Math.exp(x));
  const around = (a: Decimal, pred: (x: number) => boolean): ThresholdPair => {
    // Math.exp is within an ulp of exp, so the crossing is a few ulps from the analytic value.
    let lo = fmt.round(a.toNumber());
    let hi = lo;
    for (let i = 0; i < 64 && !pred(lo); i++) lo = nextDown(lo, dtype);
    for (let i = 0; i < 64 && pred(hi); i++) hi = nextUp(hi, dtype);
    if (!pred(lo) || pred(hi)) throw new Error(`expThresholds(${dtype}): no crossing near ${a.toString()}`);
    const last = lastWhere(pred, lo, hi, dtype);
    return { last, first: nextUp(last, dtype) };
  };
  const lnMax = ln(fmt.max);
  const lnMinNormal = ln(fmt.minNormal);
  const lnMinSub = ln(fmt.minSubnormal);
  const lnHalfMinSub = lnMinSub.minus(new D(2).ln());
  const lnInvU = new D(2).ln().times(fmt.precision);
  const list: Threshold[] = [
    { key: 'overflow', label: 'ln(max): exp overflows to Infinity above', analytic: lnMax.toSignificantDigits(20).toString(), rounded: fmt.round(lnMax.toNumber()), pair: around(lnMax, (x) => exp(x) !== Infinity) },
    { key: 'subnormal', label: 'ln(minNormal): exp is subnormal below', analytic: lnMinNormal.toSignificantDigits(20).toString(), rounded: fmt.round(lnMinNormal.toNumber()), pair: around(lnMinNormal, (x) => exp(x) < fmt.minNormal) },
    { key: 'minSubnormal', label: 'ln(minSubnormal): exp is below the smallest subnormal', analytic: lnMinSub.toSignificantDigits(20).toString(), rounded: fmt.round(lnMinSub.toNumber()) },
    { key: 'zero', label: 'ln(minSubnormal/2): exp rounds to 0 at and below', analytic: lnHalfMinSub.toSignificantDigits(20).toString(), rounded: fmt.round(lnHalfMinSub.toNumber()), pair: around(lnHalfMinSub, (x) => exp(x) === 0) },
    { key: 'absorption', label: '−ln(u): 1 + exp(−g) rounds to 1 from', analytic: lnInvU.toSignificantDigits(20).toString(), rounded: fmt.round(lnInvU.toNumber()), pair: around(lnInvU, (g) => fmt.round(1 + exp(-g)) !== 1) },
  ];
  cache.set(dtype, list);
  return list;
}

export function threshold(dtype: AnyDtype, key: Threshold['key']): Threshold {
  const t = expThresholds(dtype).find((x) => x.key === key);
  if (t === undefined) throw new Error(`no threshold ${key}`);
  return t;
}
