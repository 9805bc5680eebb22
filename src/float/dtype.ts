/**
 * The two IEEE 754 binary formats the harness works in, and their constants.
 *
 * float32 values live in JavaScript doubles; a double is a float32 value when
 * `Math.fround(x) === x`. Every constant below is exact in its format.
 */

export type Dtype = 'float32' | 'float64';
export const DTYPES: readonly Dtype[] = ['float32', 'float64'];

export type FloatArray = Float32Array | Float64Array;

export interface FormatInfo {
  readonly dtype: Dtype;
  /** Significand bits including the implicit one. */
  readonly precision: number;
  /** Largest finite value: (2 − 2^(1−p)) · 2^emax. */
  readonly max: number;
  /** Smallest positive normal: 2^emin. */
  readonly minNormal: number;
  /** Smallest positive subnormal: 2^(emin − p + 1). */
  readonly minSubnormal: number;
  /** Unit roundoff u = 2^−p. */
  readonly unitRoundoff: number;
  /** Bits in the encoding: the bits_error of a result with no ulp distance. */
  readonly bits: number;
  /** Rounds a double to this format. */
  readonly round: (x: number) => number;
  readonly array: (n: number) => FloatArray;
}

const identity = (x: number): number => x;

export const FLOAT32: FormatInfo = {
  dtype: 'float32',
  precision: 24,
  max: 3.4028234663852886e38, // (2 − 2^−23) · 2^127
  minNormal: 1.1754943508222875e-38, // 2^−126
  minSubnormal: 1.401298464324817e-45, // 2^−149
  unitRoundoff: 5.960464477539063e-8, // 2^−24
  bits: 32,
  round: Math.fround,
  array: (n) => new Float32Array(n),
};

export const FLOAT64: FormatInfo = {
  dtype: 'float64',
  precision: 53,
  max: Number.MAX_VALUE, // (2 − 2^−52) · 2^1023
  minNormal: 2.2250738585072014e-308, // 2^−1022
  minSubnormal: Number.MIN_VALUE, // 2^−1074
  unitRoundoff: 1.1102230246251565e-16, // 2^−53
  bits: 64,
  round: identity,
  array: (n) => new Float64Array(n),
};

export function formatOf(dtype: Dtype): FormatInfo {
  return dtype === 'float32' ? FLOAT32 : FLOAT64;
}

export function isDtype(s: string): s is Dtype {
  return s === 'float32' || s === 'float64';
}
