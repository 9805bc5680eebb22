/**
 * Ordinals: the position of a value in the ordered sequence of a format's values.
 *
 * Consecutive finite values (and the step from the largest finite value to
 * Infinity) have consecutive ordinals; −0 and +0 share ordinal 0. The distance in
 * ulps between two values is the difference of their ordinals, which is the
 * measure Herbie and the stdlib-js tests use: it is uniform across binades and
 * counts a subnormal step like any other.
 */
import type { Dtype } from './dtype.js';

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** Ordinal of a float32 value (an integer in [−(2^31 − 2^23), 2^31 − 2^23]). NaN has none. */
export function ordinal32(x: number): number {
  f32[0] = x;
  const bits = i32[0];
  return bits >= 0 ? bits : -(bits & 0x7fffffff);
}

/** Ordinal of a float64 value, exact as a bigint. */
export function ordinal64(x: number): bigint {
  f64[0] = x;
  const bits = i64[0];
  return bits >= 0n ? bits : -(bits & 0x7fffffffffffffffn);
}

/** The float32 value with the given ordinal. */
export function fromOrdinal32(ord: number): number {
  i32[0] = ord >= 0 ? ord : -ord | 0x80000000;
  return f32[0];
}

/** The float64 value with the given ordinal. */
export function fromOrdinal64(ord: bigint): number {
  i64[0] = ord >= 0n ? ord : -ord | -0x8000000000000000n;
  return f64[0];
}

/** Ordinal in either format, as a bigint so one code path can bisect both. */
export function ordinal(x: number, dtype: Dtype): bigint {
  return dtype === 'float32' ? BigInt(ordinal32(x)) : ordinal64(x);
}

export function fromOrdinal(ord: bigint, dtype: Dtype): number {
  return dtype === 'float32' ? fromOrdinal32(Number(ord)) : fromOrdinal64(ord);
}

/**
 * Distance in ulps between two values of `dtype`: how many consecutive values
 * separate them. `undefined` where it is not defined: a NaN, or exactly one of
 * the two infinite (SPEC section 4).
 */
export function ulpDistance(a: number, b: number, dtype: Dtype): number | undefined {
  if (Number.isNaN(a) || Number.isNaN(b)) return undefined;
  const ia = !Number.isFinite(a);
  const ib = !Number.isFinite(b);
  if (ia !== ib) return undefined;
  if (ia) return a === b ? 0 : Infinity;
  if (dtype === 'float32') return Math.abs(ordinal32(a) - ordinal32(b));
  const d = ordinal64(a) - ordinal64(b);
  return Number(d < 0n ? -d : d);
}

/**
 * The ulp distance spelled exactly (float64 distances reach 2^64, past the 2^53
 * up to which a number counts exactly); "" where it is undefined.
 */
export function ulpDistanceText(a: number, b: number, dtype: Dtype): string {
  const d = ulpDistance(a, b, dtype);
  if (d === undefined) return '';
  if (dtype === 'float32' || d <= Number.MAX_SAFE_INTEGER) return String(d);
  const e = ordinal64(a) - ordinal64(b);
  return (e < 0n ? -e : e).toString();
}

/** Herbie's bits of error, log2(1 + ulps); the format's width where ulps is undefined. */
export function bitsOfError(ulps: number | undefined, dtype: Dtype): number {
  if (ulps === undefined) return dtype === 'float32' ? 32 : 64;
  return Math.log2(1 + ulps);
}

/** The next value of `dtype` towards +Infinity (Infinity stays). */
export function nextUp(x: number, dtype: Dtype): number {
  if (x === Infinity || Number.isNaN(x)) return x;
  return fromOrdinal(ordinal(x, dtype) + 1n, dtype);
}

/** The next value of `dtype` towards −Infinity (−Infinity stays). */
export function nextDown(x: number, dtype: Dtype): number {
  if (x === -Infinity || Number.isNaN(x)) return x;
  return fromOrdinal(ordinal(x, dtype) - 1n, dtype);
}
