/**
 * Ordinals of the binary32 and binary64 encodings from their bits: the sign-magnitude
 * bit pattern read as a signed distance from ±0 (ordinal.ts explains the measure).
 * No imports, so the format table (dtype.ts) and ordinal.ts can both build on it.
 */
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
