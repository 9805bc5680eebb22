/**
 * Ordinals: the position of a value in the ordered sequence of a format's values.
 *
 * Consecutive finite values (and the step from the largest finite value to
 * Infinity) have consecutive ordinals; −0 and +0 share ordinal 0. The distance in
 * ulps between two values is the difference of their ordinals, which is the
 * measure Herbie and the stdlib-js tests use: it is uniform across binades and
 * counts a subnormal step like any other.
 */
import type { AnyDtype } from './dtype.js';
import { formatOf } from './dtype.js';

export { fromOrdinal32, fromOrdinal64, ordinal32, ordinal64 } from './bits.js';
import { ordinal32 } from './bits.js';

/** Ordinal in any format (the format table's map), as a bigint so one code path can bisect all. */
export function ordinal(x: number, dtype: AnyDtype): bigint {
  return formatOf(dtype).ordinal(x);
}

export function fromOrdinal(ord: bigint, dtype: AnyDtype): number {
  return formatOf(dtype).fromOrdinal(ord);
}

/**
 * Distance in ulps between two values of `dtype`: how many consecutive values
 * separate them. `undefined` where it is not defined: a NaN, or exactly one of
 * the two infinite (SPEC section 4).
 */
export function ulpDistance(a: number, b: number, dtype: AnyDtype): number | undefined {
  if (Number.isNaN(a) || Number.isNaN(b)) return undefined;
  const ia = !Number.isFinite(a);
  const ib = !Number.isFinite(b);
  if (ia !== ib) return undefined;
  if (ia) return a === b ? 0 : Infinity;
  if (dtype === 'float32') return Math.abs(ordinal32(a) - ordinal32(b)); // the hot path, without bigints
  const d = ordinal(a, dtype) - ordinal(b, dtype);
  return Number(d < 0n ? -d : d);
}

/**
 * The ulp distance spelled exactly (float64 distances reach 2^64, past the 2^53
 * up to which a number counts exactly); "" where it is undefined.
 */
export function ulpDistanceText(a: number, b: number, dtype: AnyDtype): string {
  const d = ulpDistance(a, b, dtype);
  if (d === undefined) return '';
  if (d <= Number.MAX_SAFE_INTEGER) return String(d);
  const e = ordinal(a, dtype) - ordinal(b, dtype);
  return (e < 0n ? -e : e).toString();
}

/** Herbie's bits of error, log2(1 + ulps); the format's width where ulps is undefined. */
export function bitsOfError(ulps: number | undefined, dtype: AnyDtype): number {
  if (ulps === undefined) return formatOf(dtype).bits;
  return Math.log2(1 + ulps);
}

/** The next value of `dtype` towards +Infinity (Infinity stays). */
export function nextUp(x: number, dtype: AnyDtype): number {
  if (x === Infinity || Number.isNaN(x)) return x;
  return fromOrdinal(ordinal(x, dtype) + 1n, dtype);
}

/** The next value of `dtype` towards −Infinity (−Infinity stays). */
export function nextDown(x: number, dtype: AnyDtype): number {
  if (x === -Infinity || Number.isNaN(x)) return x;
  return fromOrdinal(ordinal(x, dtype) - 1n, dtype);
}
