/**
 * Exact conversions between binary floating-point values and decimal.js, and
 * correct rounding of a decimal to a binary format.
 *
 * `new Decimal(0.1)` reads the number's shortest decimal string ("0.1"), not the
 * binary value 0.1000000000000000055511151231257827…; the oracle must see the
 * binary value, so we build its decimal expansion from the bits: a double is
 * M · 2^e with integer M < 2^53, and M · 2^e = M · 5^−e · 10^e for e < 0, a
 * terminating decimal of at most 767 significant digits (2^−1074's expansion).
 * decimal.js keeps every digit of a string it is constructed from; precision only
 * applies to the results of operations.
 */
import { Decimal } from 'decimal.js';
import type { AnyDtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { nextDown, nextUp, ordinal } from '../float/ordinal.js';

/**
 * A decimal.js constructor wide enough that sums and halvings of exact values stay
 * exact: 1100 digits cover the 767-digit expansion of 2^−1074 plus the 309 integer
 * digits of 2^1024, the widest span two float64 values can have.
 */
export const ExactDecimal = Decimal.clone({
  precision: 1100,
  rounding: Decimal.ROUND_HALF_EVEN,
  // decimal.js's widest exponent range (±9e15): exp of a very negative argument
  // then underflows only far below every binary format's smallest subnormal.
  minE: -9e15,
  maxE: 9e15,
});

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const pow5 = new Map<number, bigint>();
/** Entries kept per conversion cache (most recent values: a row's logits and the format values its roundings bracket repeat). */
const EXACT_CACHE_SIZE = 1 << 14;

const stringCache = new Map<number, string>();

/** The exact decimal digits of a finite double: "M e E" with integer M (cached, as `exactDecimal`). */
export function exactDecimalString(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`exactDecimalString: ${x} is not finite`);
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  let s = stringCache.get(x);
  if (s === undefined) {
    if (stringCache.size >= EXACT_CACHE_SIZE) stringCache.clear();
    s = binaryToDecimalString(x);
    stringCache.set(x, s);
  }
  return s;
}

function binaryToDecimalString(x: number): string {
  f64[0] = x;
  const bits = u64[0];
  const negative = bits >> 63n === 1n;
  const field = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & 0xfffffffffffffn;
  let e: number;
  if (field === 0) {
    e = -1074; // subnormal: 0.f · 2^−1022 = f · 2^−1074
  } else {
    mantissa |= 1n << 52n;
    e = field - 1075; // 1.f · 2^(field − 1023) = (2^52 + f) · 2^(field − 1075)
  }
  while ((mantissa & 1n) === 0n) {
    mantissa >>= 1n;
    e += 1;
  }
  const sign = negative ? '-' : '';
  if (e >= 0) return sign + (mantissa << BigInt(e)).toString();
  let p = pow5.get(-e);
  if (p === undefined) {
    p = 5n ** BigInt(-e);
    pow5.set(-e, p);
  }
  return `${sign}${(mantissa * p).toString()}e${e}`;
}

const exactCache = new Map<number, Decimal>();

/**
 * The exact value of a finite double as an `ExactDecimal`. Conversions are cached
 * (decimal.js values are immutable; ±0 are not cached, since a Map does not tell
 * them apart): the oracle converts the same format values many times per row.
 */
export function exactDecimal(x: number): Decimal {
  if (x === 0) return new ExactDecimal(exactDecimalString(x));
  let d = exactCache.get(x);
  if (d === undefined) {
    if (exactCache.size >= EXACT_CACHE_SIZE) exactCache.clear();
    d = new ExactDecimal(exactDecimalString(x));
    exactCache.set(x, d);
  }
  return d;
}

/** 2^(emax+1) (2^1024 for float64): where the value after the largest finite one would sit. */
function exactOrBeyond(x: number, dtype: AnyDtype): Decimal {
  return x === Infinity ? new ExactDecimal(2).pow(formatOf(dtype).emax + 1) : exactDecimal(x);
}

const midpoints = new Map<AnyDtype, Map<number, Decimal>>();

/** The exact midpoint of a and b = nextUp(a) in `dtype` (cached per dtype: a row's components round near the same values). */
function midpointAbove(a: number, b: number, dtype: AnyDtype): Decimal {
  let cache = midpoints.get(dtype);
  if (cache === undefined) midpoints.set(dtype, (cache = new Map()));
  let mid = cache.get(a);
  if (mid === undefined || a === 0) {
    mid = exactDecimal(a).plus(exactOrBeyond(b, dtype)).div(2);
    if (cache.size >= EXACT_CACHE_SIZE) cache.clear();
    if (a !== 0) cache.set(a, mid);
  }
  return mid;
}

/**
 * `v` correctly rounded to `dtype`: to nearest, ties to even, with overflow to
 * ±Infinity past max + ulp(max)/2 and gradual underflow (IEEE 754 §4.3.1).
 *
 * A first guess from `Number()` (V8 parses decimal strings correctly rounded to
 * double) is brought to the bracketing pair a ≤ v ≤ b of `dtype` values, and v is
 * compared with their exact midpoint. Going through the double and then
 * `fmt.round` alone would round twice and can miss by one ulp near a midpoint
 * of the narrower format.
 */
export function roundDecimal(v: Decimal, dtype: AnyDtype): number {
  if (v.isNaN()) return NaN;
  if (v.isZero()) return v.isNeg() ? -0 : 0;
  if (v.isNeg()) return -roundDecimal(v.neg(), dtype);
  if (!v.isFinite()) return Infinity;
  const fmt = formatOf(dtype);
  let a = fmt.round(Number(v.toString()));
  if (a === Infinity) a = fmt.max;
  // Bracket: a ≤ v < next(a).
  while (a > 0 && exactDecimal(a).gt(v)) a = nextDown(a, dtype);
  let b = nextUp(a, dtype);
  while (b !== Infinity && exactDecimal(b).lte(v)) {
    a = b;
    b = nextUp(a, dtype);
  }
  if (exactDecimal(a).eq(v)) return a;
  const mid = midpointAbove(a, b, dtype);
  const c = v.cmp(mid);
  if (c < 0) return a;
  if (c > 0) return b;
  return ordinal(a, dtype) % 2n === 0n ? a : b;
}
