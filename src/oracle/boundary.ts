/**
 * The decimal.js tier's exact test at a rounding boundary (the options oracles,
 * batch.ts): which side of one rounding boundary b of the dtype a value lies on,
 * decided from an exact dyadic part and terms known only as intervals, without
 * narrowing the value's own interval around b.
 *
 * Why. Ziv's loop narrows an interval of the value until both ends round alike.
 * When the value lies within e^−Δ of a boundary it needs about Δ/ln 10 digits, and
 * under the batch options Δ is the spread of a row's logits: float32 logits
 * [100000, 0, …] with a class weight that makes the dyadic part of a gradient
 * component U_k/C a midpoint of float32 put g_k within e^−100000 of it, 43,000
 * digits deep, past the loop's last precision (6144). The value minus the boundary,
 * though, is an exact dyadic X plus a few terms Σ c_i·y_i with exact dyadic c_i and
 * positive y_i (exponentials, log1p of a sum of them) that are known to a relative
 * error at every precision: their sign is decided when the positive and the negative
 * parts' intervals separate. The caller must put every exactly known part into X (a
 * gradient groups the classes tied in value, so e = 1 of the maximum's group is in X,
 * batch.ts `gradSide`): then, the y_i being exponentials of distinct rationals (or
 * a log1p of their sum), X + Σ c_i·y_i is 0 only when X and every c_i are
 * (Lindemann–Weierstrass), which is known exactly, and otherwise the parts separate at
 * the first precisions unless they nearly cancel, a hard case of the usual kind (Ziv's
 * loop and the table maker's dilemma), not one of size e^−Δ. Terms whose exact parts
 * were left as separate y_i (e·1 and e·(t − 1) for tied classes) cancel exactly and
 * leave e^−Δ: Δ/ln 10 digits again.
 *
 * Exactness: X and the c_i are BigInt dyadics (the class weights, targets, ε and
 * logits are binary values), so X = 0 is known exactly; a y_i whose true value is
 * positive is flagged so, so a sum of positive terms is known positive even when its
 * interval reaches 0 (a term under decimal.js's range).
 */
import type { Decimal } from 'decimal.js';
import type { AnyDtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';

/** A dyadic rational m·2^e, exactly. */
export interface Dyadic {
  readonly m: bigint;
  readonly e: number;
}

export const DY_ZERO: Dyadic = { m: 0n, e: 0 };
export const DY_ONE: Dyadic = { m: 1n, e: 0 };

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** A finite double as m·2^e, exactly. */
export function dyadicOf(x: number): Dyadic {
  if (x === 0) return DY_ZERO;
  f64[0] = x;
  const bits = u64[0];
  const field = Number((bits >> 52n) & 0x7ffn);
  let m = bits & 0xfffffffffffffn;
  if (field !== 0) m |= 1n << 52n;
  const e = field === 0 ? -1074 : field - 1075;
  return { m: bits >> 63n === 1n ? -m : m, e };
}

export const dyMul = (a: Dyadic, b: Dyadic): Dyadic => ({ m: a.m * b.m, e: a.e + b.e });
export const dyNeg = (a: Dyadic): Dyadic => ({ m: -a.m, e: a.e });
export const dyInt = (n: bigint | number): Dyadic => ({ m: BigInt(n), e: 0 });
export function dyAdd(a: Dyadic, b: Dyadic): Dyadic {
  if (a.m === 0n) return b;
  if (b.m === 0n) return a;
  const e = Math.min(a.e, b.e);
  return { m: (a.m << BigInt(a.e - e)) + (b.m << BigInt(b.e - e)), e };
}
export const dySub = (a: Dyadic, b: Dyadic): Dyadic => dyAdd(a, dyNeg(b));
export const dySign = (a: Dyadic): -1 | 0 | 1 => (a.m > 0n ? 1 : a.m < 0n ? -1 : 0);

/** The exact decimal expansion of m·2^e (a terminating decimal), for a decimal.js constructor (which keeps every digit of a string). */
export function dyadicString(m: bigint, e: number): string {
  if (e >= 0) return (m << BigInt(e)).toString();
  return `${(m * 5n ** BigInt(-e)).toString()}e${e}`;
}

/** A value of the dtype as a dyadic, ±Infinity as ±2^(emax+1) (where the value after max would sit: the overflow side of the last midpoint). */
function dyadicOrBeyond(x: number, dtype: AnyDtype): Dyadic {
  if (x === Infinity) return { m: 1n, e: formatOf(dtype).emax + 1 };
  if (x === -Infinity) return { m: -1n, e: formatOf(dtype).emax + 1 };
  return dyadicOf(x);
}

/**
 * The one rounding boundary between `lo` ≤ `hi`, two roundings to `dtype` (to nearest, ties to even):
 * their exact midpoint when they are adjacent values of the dtype (max and +Infinity: max + ulp(max)/2,
 * IEEE 754 §4.3.1's overflow threshold), 0 between −0 and +0; undefined when more than one boundary lies
 * between them (Ziv's loop must narrow the interval first) or none does.
 */
export function boundaryBetween(lo: number, hi: number, dtype: AnyDtype): Dyadic | undefined {
  if (Number.isNaN(lo) || Number.isNaN(hi) || Object.is(lo, hi)) return undefined;
  const fmt = formatOf(dtype);
  const a = fmt.ordinal(lo);
  const b = fmt.ordinal(hi);
  if (a === b) return DY_ZERO; // −0 and +0
  if (b - a !== 1n) return undefined;
  // A zero and the least subnormal of the other sign (−minSub and +0, −0 and +minSub): two boundaries, ∓minSub/2 and 0.
  if (signBit(lo) !== signBit(hi)) return undefined;
  const sum = dyAdd(dyadicOrBeyond(lo, dtype), dyadicOrBeyond(hi, dtype));
  return { m: sum.m, e: sum.e - 1 };
}

/** Whether x carries the sign bit (−0 does). */
const signBit = (x: number): boolean => x < 0 || Object.is(x, -0);

/**
 * The value at the boundary between adjacent `lo` and `hi` (a tie): the one with an even significand
 * (ties to even), a zero with the sign of its neighbour (−minSub/2 → −0, +minSub/2 → +0); +0 between
 * −0 and +0 (an exact sum or difference of zero, IEEE 754 §6.3).
 */
export function tieToEven(lo: number, hi: number, dtype: AnyDtype): number {
  const fmt = formatOf(dtype);
  if (fmt.ordinal(lo) === fmt.ordinal(hi)) return 0;
  if (lo === 0) return hi > 0 ? 0 : -0;
  if (hi === 0) return lo < 0 ? -0 : 0;
  return fmt.ordinal(lo) % 2n === 0n ? lo : hi;
}

/**
 * A term c·y of a sign test: c an exact dyadic, y a real number known to lie in
 * [lo, hi] (0 ≤ lo ≤ hi, decimals at the caller's precision), `positive` when y > 0
 * is known exactly (y = 0 otherwise: the term is left out).
 */
export interface SignTerm {
  readonly c: Dyadic;
  readonly lo: Decimal;
  readonly hi: Decimal;
  readonly positive: boolean;
}

/**
 * sign(X + Σ c_i·y_i) for an exact dyadic X and terms c_i·y_i (see {@link SignTerm}),
 * working in the decimal.js constructor `D` (P significant digits): 0 only when the
 * value is exactly 0 (X = 0 and every term with a positive y has c = 0); undefined
 * when the intervals at P digits do not decide it (more digits will, unless the value
 * is 0, which is then known exactly).
 *
 * Method: the positive part (X if X > 0, and every c_i·y_i with c_i > 0) and the
 * negative part are sums of nonnegative products; each is computed at P digits from
 * the ends of the y intervals and widened by (k + 2)·10^(1−P) relatively (k products
 * and k additions, each rounded to nearest with relative error ≤ 10^(1−P)/2, first
 * order; the factor 2 of slack covers the second order). When one part is known to be
 * exactly 0 the sign is the other's; otherwise it is decided when the parts' intervals
 * do not overlap (compared exactly).
 */
export function signOfSum(x: Dyadic, terms: readonly SignTerm[], D: typeof Decimal): -1 | 0 | 1 | undefined {
  const digits = D.precision;
  let pLo = new D(0);
  let pHi = new D(0);
  let nLo = new D(0);
  let nHi = new D(0);
  let pExact = dySign(x) > 0; // the positive part is known > 0
  let nExact = dySign(x) < 0;
  let count = 1;
  if (x.m > 0n) {
    const v = new D(dyadicString(x.m, x.e));
    pLo = pLo.plus(v);
    pHi = pHi.plus(v);
  } else if (x.m < 0n) {
    const v = new D(dyadicString(-x.m, x.e));
    nLo = nLo.plus(v);
    nHi = nHi.plus(v);
  }
  for (const t of terms) {
    if (!t.positive || t.c.m === 0n) continue;
    count++;
    const c = new D(dyadicString(t.c.m > 0n ? t.c.m : -t.c.m, t.c.e));
    if (t.c.m > 0n) {
      pExact = true;
      pLo = pLo.plus(c.times(t.lo));
      pHi = pHi.plus(c.times(t.hi));
    } else {
      nExact = true;
      nLo = nLo.plus(c.times(t.lo));
      nHi = nHi.plus(c.times(t.hi));
    }
  }
  if (!pExact && !nExact) return 0;
  if (!nExact) return 1;
  if (!pExact) return -1;
  const slack = new D(10).pow(1 - digits).times(2 * count + 2);
  const one = new D(1);
  const below = one.minus(slack);
  const above = one.plus(slack);
  if (pLo.times(below).gt(nHi.times(above))) return 1;
  if (pHi.times(above).lt(nLo.times(below))) return -1;
  return undefined;
}
