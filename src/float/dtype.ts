/**
 * The binary formats the harness knows, one description each (SPEC section 2.1):
 * precision, range, unit roundoff, the rounding function from double, the
 * ordinal map (ulp distances, bisection) and the digits of a shortest decimal.
 * Everything that depends on a format reads it from here.
 *
 * Values of every format live in JavaScript doubles, which hold them exactly; a
 * double is a value of a format when `fmt.round(x) === x`. Every constant below
 * is exact in its format.
 *
 * `Dtype` is every storage format a command accepts (SPEC section 2.1); a
 * pipeline's hand-written kernels exist in the `NativeDtype`s (float32, float64),
 * and the half formats (`HalfDtype`) run through its generic kernel
 * (src/pipelines/variant.ts) in two arithmetic modes (`compute`).
 */
import { getFloat16, setFloat16 } from '@petamoriken/float16';
import { fromOrdinal32, fromOrdinal64, ordinal32, ordinal64 } from './bits.js';
import { roundBfloat16, roundFloat16 } from './half.js';

/** The formats with a hand-written kernel in every pipeline (`Pipeline.float32`, `Pipeline.float64`). */
export type NativeDtype = 'float32' | 'float64';
export type HalfDtype = 'float16' | 'bfloat16';
/** Every storage format of the commands and reports (SPEC section 2.1). */
export type Dtype = NativeDtype | HalfDtype;
/** Report order of the dtypes: rows of every file come out in this order. */
export const DTYPES: readonly Dtype[] = ['float32', 'float64', 'float16', 'bfloat16'];
/** The native dtypes, in report order; also what a suite runs when it lists no dtypes. */
export const NATIVE_DTYPES: readonly NativeDtype[] = ['float32', 'float64'];
/** Same as `Dtype` (the format layer's older name). */
export type AnyDtype = Dtype;
export const ANY_DTYPES: readonly AnyDtype[] = ['float64', 'float32', 'float16', 'bfloat16'];

export type FloatArray = Float32Array | Float64Array;

export interface FormatInfo {
  readonly dtype: AnyDtype;
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
  /** Largest exponent: max < 2^(emax+1), where the value after max would sit (overflow midpoint (2 − 2^−p)·2^emax). */
  readonly emax: number;
  /** Bits in the encoding: the bits_error of a result with no ulp distance. */
  readonly bits: number;
  /** Significant digits that always suffice to read a value back: ⌈p·log10 2⌉ + 1 (Matula 1968). */
  readonly roundTripDigits: number;
  /** Rounds a double to this format directly, to nearest, ties to even (never through another format). */
  readonly round: (x: number) => number;
  /**
   * Position of a value among the format's values: consecutive finite values
   * (and max → Infinity) have consecutive ordinals; ±0 share 0. Exact as a bigint.
   */
  readonly ordinal: (x: number) => bigint;
  /** The value with a given ordinal (inverse of `ordinal`). */
  readonly fromOrdinal: (ord: bigint) => number;
  /** A typed array that holds values of the format exactly (Float32Array for the 16-bit formats). */
  readonly array: (n: number) => FloatArray;
}

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
const view16 = new DataView(new ArrayBuffer(2));

/** Sign-magnitude bits → ordinal; `signBit` is the encoding's sign bit. */
function fromSignMagnitude(bits: number, signBit: number): number {
  return bits & signBit ? -(bits & (signBit - 1)) : bits;
}
/** Ordinal → sign-magnitude bits. */
function toSignMagnitude(ord: number, signBit: number): number {
  return ord >= 0 ? ord : -ord | signBit;
}

const identity = (x: number): number => x;

export const FLOAT32: FormatInfo = {
  dtype: 'float32',
  precision: 24,
  max: 3.4028234663852886e38, // (2 − 2^−23) · 2^127
  minNormal: 1.1754943508222875e-38, // 2^−126
  minSubnormal: 1.401298464324817e-45, // 2^−149
  unitRoundoff: 5.960464477539063e-8, // 2^−24
  emax: 127,
  bits: 32,
  roundTripDigits: 9,
  round: Math.fround,
  ordinal: (x) => BigInt(ordinal32(x)),
  fromOrdinal: (ord) => fromOrdinal32(Number(ord)),
  array: (n) => new Float32Array(n),
};

export const FLOAT64: FormatInfo = {
  dtype: 'float64',
  precision: 53,
  max: Number.MAX_VALUE, // (2 − 2^−52) · 2^1023
  minNormal: 2.2250738585072014e-308, // 2^−1022
  minSubnormal: Number.MIN_VALUE, // 2^−1074
  unitRoundoff: 1.1102230246251565e-16, // 2^−53
  emax: 1023,
  bits: 64,
  roundTripDigits: 17,
  round: identity,
  ordinal: ordinal64,
  fromOrdinal: fromOrdinal64,
  array: (n) => new Float64Array(n),
};

/** IEEE binary16: p = 11, emin = −14, emax = 15. */
export const FLOAT16: FormatInfo = {
  dtype: 'float16',
  precision: 11,
  max: 65504, // (2 − 2^−10) · 2^15
  minNormal: 6.103515625e-5, // 2^−14
  minSubnormal: 5.960464477539063e-8, // 2^−24
  unitRoundoff: 4.8828125e-4, // 2^−11
  emax: 15,
  bits: 16,
  roundTripDigits: 5,
  round: roundFloat16,
  ordinal(x) {
    setFloat16(view16, 0, x);
    return BigInt(fromSignMagnitude(view16.getUint16(0), 0x8000));
  },
  fromOrdinal(ord) {
    view16.setUint16(0, toSignMagnitude(Number(ord), 0x8000));
    return getFloat16(view16, 0);
  },
  array: (n) => new Float32Array(n),
};

/** bfloat16: p = 8 with float32's exponent range (emin = −126, emax = 127). */
export const BFLOAT16: FormatInfo = {
  dtype: 'bfloat16',
  precision: 8,
  max: 3.3895313892515355e38, // (2 − 2^−7) · 2^127
  minNormal: 1.1754943508222875e-38, // 2^−126
  minSubnormal: 9.183549615799121e-41, // 2^−133
  unitRoundoff: 0.00390625, // 2^−8
  emax: 127,
  bits: 16,
  roundTripDigits: 4,
  round: roundBfloat16,
  ordinal(x) {
    f32[0] = x; // exact: a bfloat16 value is a float32 value whose low 16 bits are 0
    return BigInt(fromSignMagnitude(i32[0] >>> 16, 0x8000));
  },
  fromOrdinal(ord) {
    i32[0] = toSignMagnitude(Number(ord), 0x8000) << 16;
    return f32[0];
  },
  array: (n) => new Float32Array(n),
};

const FORMATS: Readonly<Record<AnyDtype, FormatInfo>> = { float64: FLOAT64, float32: FLOAT32, float16: FLOAT16, bfloat16: BFLOAT16 };

export function formatOf(dtype: AnyDtype): FormatInfo {
  return FORMATS[dtype];
}

export function isDtype(s: string): s is Dtype {
  return Object.hasOwn(FORMATS, s);
}

export const isAnyDtype = isDtype;

/** float16 and bfloat16: stored in 16 bits, computed in two modes (SPEC 2.1). */
export function isHalf(d: Dtype): d is HalfDtype {
  return formatOf(d).bits === 16;
}
